"""JSON API of the work lists (/api/worklists): one router per part, mounted here."""

from ninja import Router

from lianxin.worklists.api import keywork

router = Router(tags=["三张清单"])
router.add_router("", keywork.router)
