"""Photo helpers for intake: the position a resident chose to share.

Stored photos are always re-encoded without EXIF (`people.services.clean_photo`), so a
photo's GPS tag never reaches the disk. When the resident ticks "分享照片位置", the view
reads the position from the first photo *before* cleaning and passes it to
`intake.case_submit_public`, which stores it in `Case.latitude/longitude` only.
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile

GPS_IFD = 0x8825
# GPS tag numbers (EXIF 2.3): reference (N/S, E/W) and degrees/minutes/seconds rationals.
LAT_REF, LAT, LON_REF, LON = 1, 2, 3, 4
SIX_PLACES = Decimal("0.000001")
MAX_READ = 6 * 1024 * 1024  # above the 5 MB photo limit: larger files are refused anyway


def _rational(value: Any) -> Decimal:
    """An EXIF rational (Pillow's IFDRational, or a (num, den) pair) as a Decimal."""
    if isinstance(value, tuple) and len(value) == 2:
        num, den = value
        return Decimal(int(num)) / Decimal(int(den))
    numerator = getattr(value, "numerator", None)
    denominator = getattr(value, "denominator", None)
    if numerator is not None and denominator is not None:
        return Decimal(int(numerator)) / Decimal(int(denominator))
    return Decimal(str(float(value)))


def _degrees(dms: Any, ref: Any, limit: int) -> Decimal | None:
    if not isinstance(dms, tuple | list) or len(dms) != 3:
        return None
    deg, minutes, seconds = (_rational(v) for v in dms)
    value = deg + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref).strip().upper() in {"S", "W"}:
        value = -value
    if not -limit <= value <= limit:
        return None
    return value.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def gps_from_upload(upload: UploadedFile) -> tuple[Decimal, Decimal] | None:
    """(latitude, longitude) from a photo's EXIF GPS tags, or None when absent or unreadable.

    Leaves the upload rewound, so the photo can still be validated and stored afterwards.
    (0, 0) is treated as absent: cameras write it when they had no fix.
    """
    from PIL import Image

    try:
        upload.seek(0)
        raw = upload.read(MAX_READ)
    except (OSError, ValueError):
        return None
    finally:
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    try:
        with Image.open(io.BytesIO(raw)) as image:
            gps = image.getexif().get_ifd(GPS_IFD)
            lat = _degrees(gps.get(LAT), gps.get(LAT_REF, "N"), 90)
            lon = _degrees(gps.get(LON), gps.get(LON_REF, "E"), 180)
    except (OSError, ValueError, TypeError, ZeroDivisionError, InvalidOperation, SyntaxError):
        return None
    except Image.DecompressionBombError:
        return None
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None
    return lat, lon
