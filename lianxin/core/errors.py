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


def clean_text(
    value: str | None, *, field: str, label: str, max_length: int, required: bool = True
) -> str:
    """Trimmed text for a service, or a DomainError naming the field (empty, too long)."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}", field=field)
    if len(value) > max_length:
        raise DomainError(f"{label}不超过{max_length}个字", field=field)
    return value
