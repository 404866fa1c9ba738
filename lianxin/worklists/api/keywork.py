"""/api/worklists endpoints of the key-work list and inspections."""

from ninja import Router

router = Router()
