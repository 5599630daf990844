"""Exceptions raised by koppel, grouped by what the operator must do.

- KoppelError: root of everything koppel raises on purpose.
  - ConfigError: a profile, a secret or a setting is wrong; fix the config.
    - ProfileError: a profile file has problems (lists all of them).
    - ApiAuthError: an API refused the credentials (401/403).
  - MappingRuleError: a rule file under ``mappings/`` is invalid.
  - DataValidationError: shop data breaks a contract (the order is
    quarantined, the run goes on).
  - ApiError: an API call failed.
    - TransientApiError: worth retrying (429, 5xx, timeouts).
      - AmbiguousWriteError: a write may or may not have happened.
    - FatalApiError: retrying will not help (other 4xx).
  - QuarantineError: a quarantine command names an unknown order or lacks
    a reason.
  - StagingLockedError: another process holds the profile's DuckDB file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "AmbiguousWriteError",
    "ApiAuthError",
    "ApiError",
    "ConfigError",
    "DataValidationError",
    "FatalApiError",
    "KoppelError",
    "MappingRuleError",
    "ProfileError",
    "QuarantineError",
    "StagingLockedError",
    "TransientApiError",
]


class KoppelError(Exception):
    """Root of every error koppel raises on purpose."""


# --- configuration -----------------------------------------------------------


class ConfigError(KoppelError):
    """A profile, secret or setting is wrong; the operator must fix config."""


class ProfileError(ConfigError):
    """A profile file has one or more problems, listed as `path: problem`."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"profile `{source}` has {count} {noun}:\n{lines}")


class MappingRuleError(KoppelError):
    """A mapping rule file is invalid; every problem is listed."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"mapping rules have problems:\n{lines}")


# --- data --------------------------------------------------------------------


class DataValidationError(KoppelError):
    """Shop data breaks a contract; the order goes to quarantine."""

    def __init__(self, message: str, *, reason: str, field: str | None = None):
        self.reason = reason
        self.field = field
        super().__init__(message)


class QuarantineError(KoppelError):
    """A quarantine command cannot be carried out (unknown order, no reason)."""


class StagingLockedError(KoppelError):
    """Another process is writing the profile's DuckDB file."""


# --- APIs --------------------------------------------------------------------


class ApiError(KoppelError):
    """An API call failed.

    Attributes carry the API name, HTTP status (None for network errors),
    the request path without query string and any error codes the API sent.
    """

    def __init__(
        self,
        message: str,
        *,
        api: str,
        status: int | None = None,
        path: str | None = None,
        codes: Sequence[str] = (),
    ) -> None:
        self.api = api
        self.status = status
        self.path = path
        self.codes = list(codes)
        super().__init__(message)


class TransientApiError(ApiError):
    """A retriable API failure: throttled, server error or timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class FatalApiError(ApiError):
    """An API failure that retrying will not fix (a 4xx other than 429)."""


class ApiAuthError(ConfigError, FatalApiError):
    """The API refused our credentials; check keys in the profile's secrets."""


class AmbiguousWriteError(TransientApiError):
    """A POST failed after it was sent (timeout, 5xx, dropped response).

    The record may exist: look it up by its reference before writing again.
    """
