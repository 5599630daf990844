"""Faults and odd answers of real shops: PHP notices, fatal pages, hosting limits.

Also the answers that are not record lists: the API root listing (which
crashes in JSON on 8.x/9.x) and ``schema=blank``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from koppel.exceptions import KoppelError
from koppel.sandbox.prestashop.answer import HTML_TYPE, JSON_TYPE, XML_TYPE, Answer
from koppel.sandbox.prestashop.errors import WebserviceError
from koppel.sandbox.prestashop.render import dumps_json
from koppel.sandbox.prestashop.resources import ResourceSpec

if TYPE_CHECKING:
    from koppel.sandbox.prestashop.options import SandboxOptions
    from koppel.sandbox.prestashop.render import Renderer

__all__ = [
    "FatalPage",
    "check_records",
    "fatal_answer",
    "php_notice",
    "rate_limited",
    "root_listing",
    "schema_answer",
]

_FATAL = (
    "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to a member function "
    "getFieldsShop() on null in /var/www/html/classes/ObjectModel.php:{line}\n"
    "Stack trace:\n#0 /var/www/html/webservice/dispatcher.php(94): "
    "WebserviceRequest-&gt;fetch()\n#1 {{main}}\n  thrown in "
    "<b>/var/www/html/classes/ObjectModel.php</b> on line <b>{line}</b><br />\n"
)
_WAF_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>"
    "<body><h1>Forbidden</h1><p>Too many requests from your address. "
    "Access temporarily blocked by the hosting firewall.</p></body></html>\n"
)


class FatalPage(KoppelError):
    """PHP died: the answer is an HTML page, not a webservice envelope."""

    def __init__(self, body: str) -> None:
        self.body = body
        super().__init__("PHP fatal error page")


def php_notice(record_id: int | None = None) -> WebserviceError:
    """The 500 a production shop sends when PHP raises a notice."""
    where = f" while loading id {record_id}" if record_id is not None else ""
    message = (
        "[PHP Notice #8] Trying to access array offset on value of type null"
        f"{where} (/var/www/html/classes/webservice/WebserviceOutputBuilder.php, "
        "line 716)"
    )
    return WebserviceError(500, 5, message)


def check_records(
    options: SandboxOptions, spec: ResourceSpec, records: Sequence[Mapping[str, Any]]
) -> None:
    """Fail like the shop does when a faulty record is rendered.

    Raises:
        FatalPage: for a record in ``html_fatal_ids``.
        WebserviceError: a PHP notice for a record in ``fault_ids`` (unless
            debug mode hides notices).
    """
    fatal = set(options.html_fatal_ids.get(spec.name, ()))
    notice = set(options.fault_ids.get(spec.name, ()))
    for record in records:
        if record["id"] in fatal:
            raise FatalPage(_FATAL.format(line=400 + record["id"] % 600))
        if record["id"] in notice and not options.debug_mode:
            raise php_notice(record["id"])


def fatal_answer(page: FatalPage) -> Answer:
    """A fatal error: HTTP 500 with PHP's HTML output."""
    return Answer(500, page.body, HTML_TYPE)


def rate_limited(options: SandboxOptions) -> Answer:
    """The hosting's answer to a client over its request limit."""
    if options.rate_limit_status == 403:
        return Answer(403, _WAF_PAGE, HTML_TYPE, from_webservice=False)
    retry = str(max(1, int(options.rate_window)))
    return Answer(
        429,
        "429 Too Many Requests\n",
        "text/plain",
        {"Retry-After": retry},
        from_webservice=False,
    )


def root_listing(
    options: SandboxOptions,
    fmt: str,
    renderer: Renderer,
    allowed: Mapping[str, frozenset[str]],
) -> Answer:
    """``/api/``: the resources the key may use (JSON crashes on 8.x/9.x)."""
    if fmt == "JSON" and options.version in ("8", "9"):
        body = (
            "<br />\n<b>Fatal error</b>:  Uncaught TypeError: array_filter(): "
            "Argument #1 ($array) must be of type array, string given in "
            "/var/www/html/classes/webservice/WebserviceOutputJSON.php:178\n"
        )
        return Answer(500, body, HTML_TYPE, authenticated=True)
    verbs = ("get", "put", "post", "patch", "delete", "head")
    if fmt == "JSON":
        listing = {
            name: {verb: verb.upper() in methods for verb in verbs}
            for name, methods in sorted(allowed.items())
        }
        return Answer(200, dumps_json({"api": listing}), JSON_TYPE, authenticated=True)
    rows = []
    for name, methods in sorted(allowed.items()):
        flags = " ".join(f'{v}="{str(v.upper() in methods).lower()}"' for v in verbs)
        rows.append(f'<{name} xlink:href="{renderer.base_url}{name}" {flags}/>\n')
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">\n'
        '<api shopName="Breiwinkel">\n' + "".join(rows) + "</api>\n</prestashop>\n"
    )
    return Answer(200, body, XML_TYPE, authenticated=True)


def schema_answer(
    schema: str, fmt: str, spec: ResourceSpec, renderer: Renderer
) -> Answer:
    """``schema=blank|synopsis``: an empty record of the resource.

    Raises:
        WebserviceError: 28 for any other schema value.
    """
    if schema not in ("blank", "synopsis"):
        msg = f"`schema` must be `blank` or `synopsis`, got {schema!r}"
        raise WebserviceError(400, 28, msg)
    blank: dict[str, Any] = {
        f: {lang: "" for lang in renderer.languages} if f in spec.i18n else ""
        for f in spec.fields
    }
    blank["associations"] = {
        a.name: [dict.fromkeys(a.fields, "")] for a in spec.associations
    }
    if fmt == "JSON":
        body = renderer.record_json(spec, blank, None)
        return Answer(
            200, dumps_json({spec.singular: body}), JSON_TYPE, authenticated=True
        )
    return Answer(200, renderer.single_xml(spec, blank), XML_TYPE, authenticated=True)
