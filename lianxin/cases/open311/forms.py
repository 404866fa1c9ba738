"""Parsing of Open311 input: the form-encoded POST and the query of GET requests."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from lianxin.core import clock

MAX_SPAN = dt.timedelta(days=90)
MAX_IDS = 200
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class RequestCreateForm(forms.Form):
    """POST requests.{fmt}: where, what, and who (the reporter's data stays protected)."""

    service_code = forms.CharField(max_length=40, required=False)
    lat = forms.FloatField(min_value=-90, max_value=90, required=False)
    long = forms.FloatField(min_value=-180, max_value=180, required=False)
    address_string = forms.CharField(max_length=200, required=False)
    address_id = forms.CharField(max_length=40, required=False)
    description = forms.CharField(max_length=4000, required=False)
    media_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    first_name = forms.CharField(max_length=30, required=False)
    last_name = forms.CharField(max_length=30, required=False)
    phone = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(max_length=200, required=False)
    device_id = forms.CharField(max_length=100, required=False)
    account_id = forms.CharField(max_length=100, required=False)

    def clean_media_url(self) -> str:
        url: str = self.cleaned_data["media_url"]
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("只接受 http 或 https 链接")
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, long = data.get("lat"), data.get("long")
        if (lat is None) != (long is None) and not self.has_error("lat"):
            if not self.has_error("long"):
                raise forms.ValidationError("lat 与 long 须同时提供")
        if (
            lat is None
            and not data.get("address_string")
            and not data.get("address_id")
            and not (self.has_error("lat") or self.has_error("long"))
        ):
            raise forms.ValidationError("缺少位置：请提供 address_id、address_string 或 lat+long")
        return data

    def coordinates(self) -> tuple[Decimal | None, Decimal | None]:
        lat, long = self.cleaned_data.get("lat"), self.cleaned_data.get("long")
        if lat is None or long is None:
            return None, None
        return Decimal(f"{lat:.6f}"), Decimal(f"{long:.6f}")

    def reporter_name(self) -> str:
        # Chinese order: family name first.
        last = self.cleaned_data.get("last_name", "").strip()
        first = self.cleaned_data.get("first_name", "").strip()
        return (
            (last + first)
            if (last and first and _cjk(last + first))
            else " ".join(p for p in (first, last) if p)
        )


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def attributes(post: Any) -> dict[str, list[str]]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2`` by code."""
    found: dict[str, list[str]] = {}
    for key in post:
        match = _ATTRIBUTE.match(key)
        if match:
            found.setdefault(match.group(1), []).extend(v.strip() for v in post.getlist(key))
    return found


def _moment(value: str, *, end: bool) -> dt.datetime:
    """A w3 datetime (timezone optional, local time assumed) or a plain date."""
    value = value.strip().replace(" ", "+")  # a '+' offset arrives as a space if not encoded
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise forms.ValidationError("日期时间格式应为 ISO 8601，如 2026-01-01T00:00:00+08:00")
        moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class RequestQueryForm(forms.Form):
    """GET requests.{fmt}: the spec's filters; dates default to, and may span, 90 days."""

    service_request_id = forms.CharField(max_length=4000, required=False)
    service_code = forms.CharField(max_length=1000, required=False)
    start_date = forms.CharField(max_length=40, required=False)
    end_date = forms.CharField(max_length=40, required=False)
    status = forms.CharField(max_length=40, required=False)

    @staticmethod
    def _list(value: str) -> list[str]:
        return [v.strip() for v in value.split(",") if v.strip()]

    def clean_service_request_id(self) -> list[str]:
        ids = [v.upper() for v in self._list(self.cleaned_data["service_request_id"])]
        if len(ids) > MAX_IDS:
            raise forms.ValidationError(f"一次最多查询{MAX_IDS}个 service_request_id")
        return ids

    def clean_service_code(self) -> list[str]:
        return self._list(self.cleaned_data["service_code"])

    def clean_status(self) -> list[str]:
        values = self._list(self.cleaned_data["status"])
        if any(v not in {"open", "closed"} for v in values):
            raise forms.ValidationError("status 只能是 open 或 closed（可用逗号分隔）")
        return values

    def clean_start_date(self) -> dt.datetime | None:
        value = self.cleaned_data["start_date"]
        return _moment(value, end=False) if value.strip() else None

    def clean_end_date(self) -> dt.datetime | None:
        value = self.cleaned_data["end_date"]
        return _moment(value, end=True) if value.strip() else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        given_start: dt.datetime | None = data.get("start_date")
        given_end: dt.datetime | None = data.get("end_date")
        if given_start is None:
            end = given_end or clock.now()
            start = end - MAX_SPAN
        else:
            start, end = given_start, given_end or given_start + MAX_SPAN
        if end < start:
            raise forms.ValidationError("end_date 不能早于 start_date")
        if end - start > MAX_SPAN:
            raise forms.ValidationError("start_date 到 end_date 不能超过90天")
        data["start_date"], data["end_date"] = start, end
        return data
