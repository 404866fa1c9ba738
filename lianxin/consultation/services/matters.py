"""四议两公开 matters (a helper fills this module in)."""

from __future__ import annotations

from lianxin.accounts.actor import Actor
from lianxin.consultation.models import AgendaItem


def matter_item_decided(*, actor: Actor | None, item: AgendaItem) -> None:
    """The vote on a matter's step closed: the matter moves on, or records the failure."""
    raise NotImplementedError
