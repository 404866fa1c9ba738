"""Signals other apps listen to (consultation comes before points in the dependency order, so
points reacts to these instead of being called).

- `attendance_recorded(sender=Attendance, attendance=...)`: an elector signed in at a meeting
  (points awards `meeting_attended` to a resident's household).
- `item_decided(sender=AgendaItem, item=...)`: a vote closed or an item was concluded.

Both are sent inside the service's transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

attendance_recorded = Signal()
item_decided = Signal()
