"""Domain errors raised by services and turned into messages by views and the API."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action; `field` names the input at fault, if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    pass


class Conflict(DomainError):
    """Someone else changed the object first (compare-and-set failed)."""
