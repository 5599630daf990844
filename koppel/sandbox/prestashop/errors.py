"""The webservice's own error: an HTTP status plus PrestaShop error codes."""

from __future__ import annotations

from koppel.exceptions import KoppelError

__all__ = ["WebserviceError"]


class WebserviceError(KoppelError):
    """A request the sandbox answers with PrestaShop's error envelope.

    Attributes:
        status: the HTTP status of the answer.
        errors: (code, message) pairs, as PrestaShop lists them.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        self.status = status
        self.errors: list[tuple[int, str]] = [(code, message)]
        super().__init__(f"webservice error {code} (HTTP {status}): {message}")

    @property
    def code(self) -> int:
        """The first error code."""
        return self.errors[0][0]

    def add(self, code: int, message: str, *, status: int | None = None) -> None:
        """Append another error, as PHP notices add to a parameter error."""
        self.errors.append((code, message))
        if status is not None:
            self.status = status
