"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms

from lianxin.core.errors import DomainError


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a service's refusal next to the field it names, or on top of the form.

    The form keeps what the user typed, so re-rendering it loses nothing.
    """
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
