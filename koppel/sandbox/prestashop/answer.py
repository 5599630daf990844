"""The answer a sandbox request gets, before FastAPI turns it into HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HTML_TYPE", "JSON_TYPE", "XML_TYPE", "Answer"]

JSON_TYPE = "application/json"
XML_TYPE = "text/xml;charset=utf-8"
HTML_TYPE = "text/html; charset=UTF-8"


@dataclass
class Answer:
    """Status, body, content type, extra headers and an artificial delay.

    ``from_webservice`` is False for answers of the hosting in front of the
    shop (rate limits), which carry none of PrestaShop's headers;
    ``authenticated`` decides whether ``PSWS-Version`` is sent.
    """

    status: int
    body: str = ""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    from_webservice: bool = True
    authenticated: bool = False
