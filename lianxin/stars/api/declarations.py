"""/api/stars endpoints of the declarations part."""

from ninja import Router

router = Router()
