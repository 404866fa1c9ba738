"""/api/stars endpoints of the battlemap part."""

from ninja import Router

router = Router()
