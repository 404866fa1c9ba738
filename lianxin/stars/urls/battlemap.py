"""Routes of the battlemap part (挂图作战, 创建统计): `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import battlemap as v

staff: list[URLPattern] = [
    path("", v.battle_map, name="battle_map"),
    path("map/xlsx/", v.battle_map_xlsx, name="battle_map_xlsx"),
    path("figures/", v.figures, name="figures"),
    path("figures/<str:code>/xlsx/", v.figures_xlsx, name="figures_xlsx"),
]
public: list[URLPattern] = []
