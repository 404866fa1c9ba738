"""The JSON API: one NinjaAPI, each domain app adds its router (docs/api.md)."""

from __future__ import annotations

from ninja import NinjaAPI

from lianxin import __version__
from lianxin.accounts.api_auth import TokenAuth

api = NinjaAPI(
    title="连心 lianxin API",
    version=__version__,
    description="党建引领基层治理平台接口。令牌由系统管理员签发，权限范围与账号岗位一致。",
    auth=TokenAuth(),
    urls_namespace="api",
)

from lianxin.party.api import router as party_router  # noqa: E402
from lianxin.people.api import router as people_router  # noqa: E402
from lianxin.territory.api import router as territory_router  # noqa: E402

api.add_router("/territory", territory_router)
api.add_router("/people", people_router)
api.add_router("/party", party_router)
