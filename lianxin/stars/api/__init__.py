"""JSON API of five-star creation (/api/stars): one router per part, mounted here."""

from ninja import Router

from lianxin.stars.api import battlemap, declarations

router = Router(tags=["五星支部创建"])
router.add_router("", battlemap.router)
router.add_router("", declarations.router)
