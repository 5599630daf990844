"""Every behaviour switch of the PrestaShop sandbox, as one plain dataclass.

The ``koppel sandbox`` command builds this from flags; tests build it
directly. Switches left at None follow the chosen version profile.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from koppel.exceptions import ConfigError
from koppel.settings import DEMO_PRESTASHOP_KEY

__all__ = ["PSWS_VERSIONS", "SandboxOptions", "Version"]

Version = Literal["1.7", "8", "9"]
PSWS_VERSIONS: dict[str, str] = {"1.7": "1.7.8.11", "8": "8.1.7", "9": "9.0.2"}


@dataclass
class SandboxOptions:
    """How the sandbox webservice behaves.

    Attributes:
        key: the webservice key that is accepted (32 characters).
        version: version profile: "1.7" answers empty lists with a bare
            ``[]``; "8" and "9" drop falsy fields from single JSON records;
            "9" refuses ``sort`` on ``date_upd`` with error 38 and HTTP 500.
        timezone: timezone the shop's dates are written in; None uses the
            shop's own (the generator's).
        multishop: the multistore feature is on: lists show the default shop
            only unless ``id_shop`` is given.
        multilang: the shop has two languages (1 nl, 2 en), so translated
            fields become lists of ``{"id", "value"}`` objects in JSON.
        default_shop: the shop a request without ``id_shop`` sees.
        permissions: resource -> allowed methods for the key; None allows
            GET, HEAD and PUT on every resource.
        key_shops: shops the key is bound to; None binds every shop.
        webservice_enabled: False answers 503 (error 22) to everything.
        strip_authorization: behave like a host that drops the
            ``Authorization`` header, so only ``ws_key`` works.
        fault_ids: resource -> ids whose rendering raises a PHP notice
            (HTTP 500, error 5), as production shops do.
        html_fatal_ids: resource -> ids that end in an HTML fatal-error page.
        fault_every: every n-th request fails with a PHP notice (0 = never).
        debug_mode: PHP notices are ignored, as with ``display_errors`` on.
        latency_base: seconds added to every answer.
        latency_per_record: seconds added per record rendered in full.
        rate_limit: requests allowed per ``rate_window`` (0 = unlimited),
            enforced by the "hosting" in front of the shop.
        rate_window: the rate-limit window in seconds.
        rate_limit_status: 429 (with ``Retry-After``) or 403 (a WAF page).
        now: a fixed clock for ``Access-Time`` and PUT timestamps.
        empty_list_style: force "array" (``[]``) or "object"
            (``{"orders": []}``) for empty lists.
        drop_falsy_single: force dropping falsy fields on single records.
        refuse_date_sort: force refusing ``date_upd`` sorts.
    """

    key: str = DEMO_PRESTASHOP_KEY
    version: Version = "8"
    timezone: str | None = None
    multishop: bool = False
    multilang: bool = False
    default_shop: int = 1
    permissions: Mapping[str, Collection[str]] | None = None
    key_shops: Collection[int] | None = None
    webservice_enabled: bool = True
    strip_authorization: bool = False
    fault_ids: Mapping[str, Collection[int]] = field(default_factory=dict)
    html_fatal_ids: Mapping[str, Collection[int]] = field(default_factory=dict)
    fault_every: int = 0
    debug_mode: bool = False
    latency_base: float = 0.0
    latency_per_record: float = 0.0
    rate_limit: int = 0
    rate_window: float = 60.0
    rate_limit_status: Literal[429, 403] = 429
    now: datetime | None = None
    empty_list_style: Literal["array", "object"] | None = None
    drop_falsy_single: bool | None = None
    refuse_date_sort: bool | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.version not in PSWS_VERSIONS:
            problems.append(f"`version` {self.version!r} is not one of 1.7, 8, 9")
        if self.rate_limit_status not in (429, 403):
            problems.append(
                f"`rate_limit_status` {self.rate_limit_status!r} is not 429|403"
            )
        if self.now is not None and self.now.tzinfo is None:
            problems.append(f"`now` {self.now!r} must be timezone-aware")
        if problems:
            msg = "bad PrestaShop sandbox options: " + "; ".join(problems)
            raise ConfigError(msg)

    @property
    def empty_style(self) -> Literal["array", "object"]:
        """How an empty list is written in JSON."""
        if self.empty_list_style is not None:
            return self.empty_list_style
        return "array" if self.version == "1.7" else "object"

    @property
    def drops_falsy(self) -> bool:
        """Whether single JSON records lose their falsy fields."""
        if self.drop_falsy_single is not None:
            return self.drop_falsy_single
        return self.version in ("8", "9")

    @property
    def refuses_date_sort(self) -> bool:
        """Whether a ``date_upd`` sort is refused (error 38, HTTP 500)."""
        if self.refuse_date_sort is not None:
            return self.refuse_date_sort
        return self.version == "9"

    @property
    def psws_version(self) -> str:
        """The ``PSWS-Version`` header value."""
        return PSWS_VERSIONS[self.version]
