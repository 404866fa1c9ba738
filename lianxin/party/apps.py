from django.apps import AppConfig


class PartyConfig(AppConfig):
    name = "lianxin.party"
    label = "party"
    verbose_name = "党组织与党员"
