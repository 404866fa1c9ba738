"""QR codes for URLs: a PNG for web pages and a vector drawing for PDFs.

Boards and building posters carry a QR code that residents scan with a phone; the vector form
stays sharp at any print size, the PNG is for pages and downloads.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing


def qr_png(data: str, *, box_size: int = 8, border: int = 2) -> bytes:
    """PNG bytes of a QR code for `data` (medium error correction: survives a scuffed print)."""
    if not data:
        raise ValueError("QR code needs data")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_drawing(data: str, *, size: float) -> Drawing:
    """A square ReportLab drawing `size` points wide holding the QR code, for PDF layouts."""
    if not data:
        raise ValueError("QR code needs data")
    widget = QrCodeWidget(data, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    width, height = x1 - x0, y1 - y0
    sx, sy = size / width, size / height
    drawing = Drawing(size, size, transform=[sx, 0, 0, sy, -x0 * sx, -y0 * sy])
    drawing.add(widget)
    return drawing
