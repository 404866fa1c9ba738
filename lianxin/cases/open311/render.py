"""Open311 answers in XML or JSON from one Python structure.

GeoReport v2 defines XML and maps it to JSON by the "Spark convention": the root element and
the repeated item elements disappear in JSON (``<services><service>…`` becomes ``[{…}]``), a
lone element becomes a value. Builders therefore produce plain dicts and lists; `ITEM_TAGS`
names the XML element of each list's items. XML is written with `xml.etree` and declared
UTF-8; empty values are empty elements in XML and ``null`` in JSON, as in the spec's examples.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - we only write XML, never parse it
from typing import Any

from django.http import HttpResponse

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element of each item of a list, by the list's element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all (a description pasted from anywhere may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element: ET.Element, tag: str, value: Any) -> None:
    if isinstance(value, list):
        item_tag = ITEM_TAGS[tag]
        for item in value:
            _append(element, item_tag, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, root, body)
    text = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


def to_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def respond(fmt: str, root: str, body: Any, *, status: int = 200) -> HttpResponse:
    """`body` as JSON, or as XML under the element `root`."""
    content = to_json(body) if fmt == "json" else to_xml(root, body)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The spec's error answer: ``[{"code": N, "description": "..."}]`` / ``<errors>``."""
    body = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt if fmt in CONTENT_TYPES else "xml", "errors", body, status=status)
