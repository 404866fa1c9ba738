"""Password rule: at least N character classes (lower, upper, digit, other)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: object | None = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少8位，包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类。"
