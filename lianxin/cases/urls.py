"""Staff pages of requests (namespace ``cases``); each views module lists its own patterns."""

from lianxin.cases.views import config, figures, kinds, qr, staff

app_name = "cases"

urlpatterns = (
    staff.urlpatterns
    + kinds.urlpatterns
    + config.urlpatterns
    + figures.urlpatterns
    + qr.urlpatterns
)
