"""Background work of five-star creation (STYLE.md: periodic tasks are declared in the app's
tasks.py).

- daily: public notices (公示) whose last day has passed are closed — their declarations are
  awarded, rejected (an upheld objection) or kept in notice (an objection still open),
  exactly as the task force's 结束公示 button does (`services.notices.notices_close_due`).
  Huey evaluates crontabs in UTC: 16:20 UTC is 00:20 in Asia/Shanghai, so a notice ending
  on day D closes in the first minutes of D+1 (project time), the first day after its end.
  Running twice changes nothing: a closed notice is not due.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="20", hour="16"))
def stars_close_notices_task() -> dict[str, int]:
    """Daily: close the notices that ended; award the stars without an objection standing."""
    from lianxin.stars.services.notices import notices_close_due

    results = notices_close_due()
    summary = {
        "notices": len(results),
        "closed": sum(1 for r in results if r.closed),
        "awarded": sum(len(r.awarded) for r in results),
        "rejected": sum(len(r.rejected) for r in results),
        "blocking": sum(len(r.blocking) for r in results),
    }
    if results:
        logger.info("stars notices closed: %s", summary)
    return summary
