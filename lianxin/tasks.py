"""The Huey instance shared by every app's tasks (SQLite file or Redis, see settings.HUEY).

Periodic tasks are declared in each app's `tasks.py` and imported by djhuey's autodiscovery.
"""

from huey.contrib.djhuey import HUEY as huey  # noqa: F401
