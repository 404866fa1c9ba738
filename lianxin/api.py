"""The JSON API: one NinjaAPI, each domain app adds its router (docs/api.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.renderers import BaseRenderer

from lianxin import __version__
from lianxin.accounts.api_auth import TokenAuth


class ChineseJSONRenderer(BaseRenderer):
    """JSON with Chinese left readable (no \\u escapes), UTF-8 encoded."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


api = NinjaAPI(
    title="连心 lianxin API",
    version=__version__,
    description="党建引领基层治理平台接口。令牌由系统管理员签发，权限范围与账号岗位一致。",
    auth=TokenAuth(),
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
)

from lianxin.cases.api import router as cases_router  # noqa: E402
from lianxin.consultation.api import router as consultation_router  # noqa: E402
from lianxin.party.api import router as party_router  # noqa: E402
from lianxin.people.api import router as people_router  # noqa: E402
from lianxin.points.api import router as points_router  # noqa: E402
from lianxin.stars.api import router as stars_router  # noqa: E402
from lianxin.territory.api import router as territory_router  # noqa: E402
from lianxin.worklists.api import router as worklists_router  # noqa: E402

api.add_router("/territory", territory_router)
api.add_router("/people", people_router)
api.add_router("/party", party_router)
api.add_router("/cases", cases_router)
api.add_router("/consultation", consultation_router)
api.add_router("/points", points_router)
api.add_router("/stars", stars_router)
api.add_router("/worklists", worklists_router)
