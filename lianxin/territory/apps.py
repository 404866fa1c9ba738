from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "lianxin.territory"
    label = "territory"
    verbose_name = "行政区划与网格"
