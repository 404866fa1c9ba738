"""Staff pages of points (namespace ``points``); each views module lists its own patterns."""

from lianxin.points.views import config, households, members, proposals, rankings, store, tasks

app_name = "points"

urlpatterns = (
    proposals.urlpatterns
    + households.urlpatterns
    + members.urlpatterns
    + rankings.urlpatterns
    + store.urlpatterns
    + tasks.urlpatterns
    + config.urlpatterns
)
