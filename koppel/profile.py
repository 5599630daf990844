"""Profiles: one TOML file links one PrestaShop shop to one SnelStart
administration.

A profile is validated into pydantic models that refuse unknown keys. Every
problem in a file is reported at once as ``path: problem`` lines. Secrets are
never in the file: the profile names an environment variable or a Prefect
Secret block for each, and :func:`resolve_secret` reads it at run time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from koppel import settings
from koppel.exceptions import ConfigError, ProfileError

__all__ = [
    "PrestashopSettings",
    "Profile",
    "ScheduleSettings",
    "SecretRef",
    "SnelstartSettings",
    "find_profile",
    "load_profile",
    "parse_profile",
    "resolve_secret",
]

PROFILE_DIR = Path("profiles")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _http_url(value: str) -> str:
    """Accept an http(s) URL and drop a trailing slash."""
    if not re.match(r"^https?://[^\s/]+", value):
        msg = f"{value!r} is not an http(s) URL"
        raise ValueError(msg)
    return value.rstrip("/")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """Where a secret comes from: an environment variable or a Secret block."""

    env: str | None = Field(None, description="environment variable name")
    block: str | None = Field(None, description="Prefect Secret block name")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.block is None):
            msg = "give exactly one of `env` or `block`"
            raise ValueError(msg)
        return self

    def describe(self) -> str:
        """Name the source without revealing the secret."""
        if self.env is not None:
            return f"environment variable `{self.env}`"
        return f"Prefect Secret block `{self.block}`"


class PrestashopSettings(_Model):
    """How to reach and read the shop's webservice."""

    url: str = Field(description="webservice base URL, ending in /api")
    key: SecretRef = Field(description="webservice key (Basic-auth user)")
    id_shop: int | None = Field(None, ge=1, description="multishop: shop id")
    page_size: int = Field(
        settings.PRESTASHOP_PAGE_SIZE, ge=1, le=1000, description="orders/page"
    )
    concurrency: int = Field(
        settings.PRESTASHOP_CONCURRENCY, ge=1, le=8, description="requests at once"
    )
    timeout_seconds: float = Field(settings.HTTP_TIMEOUT_SECONDS, gt=0, le=600)
    overlap_minutes: int = Field(
        30, ge=0, le=24 * 60, description="re-read window before the watermark"
    )
    rescan_days: int = Field(7, ge=0, le=366, description="nightly re-scan")
    import_states: list[Literal["paid", "logable", "invoice"]] = Field(
        default_factory=lambda: ["paid", "logable"],
        min_length=1,
        description="order-state flags that make an order eligible",
    )
    language_id: int | None = Field(None, ge=1, description="language for names")
    start_date: date | None = Field(
        None, description="first run reads orders updated on or after this date"
    )
    requests_per_minute: int | None = Field(
        None, ge=1, description="client-side cap for hosts that rate-limit"
    )

    _url = field_validator("url")(lambda value: _http_url(value))


class SnelstartSettings(_Model):
    """How to reach the SnelStart administration and stay in its throttle."""

    api_url: str = Field(description="B2B API base URL, ending in /v2")
    token_url: str = Field(description="token endpoint, ending in /b2b/token")
    clientkey: SecretRef = Field(description="koppelsleutel of the administration")
    subscription_key: SecretRef = Field(description="Ocp-Apim-Subscription-Key")
    calls_per_minute: int = Field(settings.SNELSTART_CALLS_PER_MINUTE, ge=1)
    calls_per_hour: int = Field(settings.SNELSTART_CALLS_PER_HOUR, ge=1)
    concurrency: int = Field(settings.SNELSTART_CONCURRENCY, ge=1, le=50)
    timeout_seconds: float = Field(settings.HTTP_TIMEOUT_SECONDS, gt=0, le=600)
    max_retries: int = Field(5, ge=0, le=20)

    _urls = field_validator("api_url", "token_url")(lambda value: _http_url(value))


class MappingSettings(_Model):
    """Which rule set under ``mappings/`` to use, and per-profile overrides."""

    rules: str = Field("default", description="rule set directory in mappings/")
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="entity -> setting -> value"
    )


class ValidationSettings(_Model):
    """Tolerances of the data contracts."""

    total_tolerance: Decimal = Field(
        Decimal("0.02"), ge=0, le=Decimal("10"), description="EUR, lines vs total"
    )
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")


class LoadingSettings(_Model):
    """What loading does when an order changes after booking, and dry runs."""

    on_change: Literal["ignore", "update", "flag"] = "flag"
    duplicate_check: bool = Field(
        True, description="skip orders whose reference SnelStart already has"
    )


class ScheduleSettings(_Model):
    """When the profile's deployment runs; at most one of the three."""

    interval_minutes: Literal[5, 15, 30, 60] | None = None
    daily_at: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    cron: str | None = None
    silent_stop_hours: int = Field(
        24, ge=1, description="alert when nothing is booked for this long"
    )

    @model_validator(mode="after")
    def _at_most_one(self) -> ScheduleSettings:
        given = [self.interval_minutes, self.daily_at, self.cron]
        if sum(v is not None for v in given) > 1:
            msg = "give at most one of `interval_minutes`, `daily_at`, `cron`"
            raise ValueError(msg)
        return self


class Profile(_Model):
    """One webshop linked to one SnelStart administration."""

    name: str = Field(description="profile name; lower case, digits, - and _")
    description: str = ""
    timezone: str = Field(description="shop timezone, e.g. Europe/Amsterdam")
    data_dir: str = Field("data", description="where the DuckDB file lives")
    prestashop: PrestashopSettings
    snelstart: SnelstartSettings
    mapping: MappingSettings = Field(default_factory=MappingSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    loading: LoadingSettings = Field(default_factory=LoadingSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            msg = f"{value!r} must be lower case letters, digits, - or _"
            raise ValueError(msg)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"{value!r} is not a known IANA timezone"
            raise ValueError(msg) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The shop timezone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    @property
    def database_path(self) -> Path:
        """The profile's DuckDB file: one file per profile."""
        return Path(self.data_dir) / f"{self.name}.duckdb"


def _problems(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        lines.append(f"{path}: {message}")
    return lines


def parse_profile(data: dict[str, Any], source: str = "<profile>") -> Profile:
    """Validate a profile mapping.

    Raises:
        ProfileError: listing every problem as `path: problem`.
    """
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(source, _problems(exc)) from None


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile TOML file.

    Raises:
        ProfileError: when the file cannot be read or has problems.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(
            str(path), [f"(file): cannot read: {exc.strerror}"]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(str(path), [f"(toml): {exc}"]) from None
    return parse_profile(data, str(path))


def find_profile(name_or_path: str) -> Path:
    """Resolve ``demo`` to ``profiles/demo.toml``; paths pass through.

    Raises:
        ConfigError: when no such profile exists.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.exists():
            msg = f"profile file `{candidate}` does not exist"
            raise ConfigError(msg)
        return candidate
    in_dir = PROFILE_DIR / f"{name_or_path}.toml"
    if in_dir.exists():
        return in_dir
    known = sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))
    msg = f"no profile `{name_or_path}` in `{PROFILE_DIR}/`; known: {known}"
    raise ConfigError(msg)


BlockLoader = Callable[[str], str]


def resolve_secret(
    ref: SecretRef, block_loader: BlockLoader | None = None
) -> SecretStr:
    """Read a secret from its environment variable or Secret block.

    Args:
        ref: where the secret lives.
        block_loader: reads a Prefect Secret block by name; the Prefect layer
            passes one in, so this module never imports Prefect.

    Raises:
        ConfigError: naming the source (never the value) when it is missing.
    """
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            msg = f"secret missing: set {ref.describe()}"
            raise ConfigError(msg)
        return SecretStr(value)
    if block_loader is None:
        msg = f"{ref.describe()} needs Prefect; run through the flow or use `env`"
        raise ConfigError(msg)
    try:
        value = block_loader(ref.block or "")
    except Exception as exc:  # the loader's errors are foreign to us
        msg = f"cannot read {ref.describe()}: {type(exc).__name__}"
        raise ConfigError(msg) from None
    return SecretStr(value)
