"""Evidence files of declarations (佐证材料): a photo or a PDF.

Photos go through `people.services.clean_photo` (re-encoded, EXIF with GPS position and device
dropped); a PDF is taken as it is when it starts with ``%PDF-`` and is at most 10 MB. Either is
stored under a random name (the original name is kept for display) and served only through the
scoped evidence view, never a MEDIA URL.
"""

from __future__ import annotations

import mimetypes
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from lianxin.core.errors import DomainError

PDF_MAGIC = b"%PDF-"
MAX_PDF_BYTES = 10 * 1024 * 1024
NAME_MAX = 200


@dataclass(frozen=True)
class CleanEvidence:
    content: ContentFile[bytes]
    stored_name: str
    original_name: str

    @property
    def is_pdf(self) -> bool:
        return self.stored_name.endswith(".pdf")


def clean_document(
    upload: UploadedFile, *, field: str, too_big: str, not_a_document: str, prefix: str = ""
) -> CleanEvidence:
    """A checked photo or PDF, or a DomainError on `field`: `too_big` for a PDF over 10 MB,
    `not_a_document` for a file that is neither, and the photo check's own message (which
    names the file) after `prefix` otherwise. Declarations' evidence, contest material and
    rectification evidence all go through here."""
    original = (getattr(upload, "name", "") or "文件").rsplit("/", 1)[-1][:NAME_MAX]
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        if upload.size is not None and upload.size > MAX_PDF_BYTES:
            raise DomainError(too_big, field=field)
        raw = upload.read(MAX_PDF_BYTES + 1)
        if len(raw) > MAX_PDF_BYTES:
            raise DomainError(too_big, field=field)
        name = f"{uuid.uuid4().hex}.pdf"
        return CleanEvidence(ContentFile(raw, name=name), name, original)
    from lianxin.people.services import clean_photo

    try:
        photo = clean_photo(upload)
    except DomainError as exc:
        if "不是有效的图片" in exc.message:
            raise DomainError(not_a_document, field=field) from exc
        raise DomainError(f"{prefix}{exc.message}", field=field) from exc
    name = f"{uuid.uuid4().hex}.{photo.extension}"
    return CleanEvidence(ContentFile(photo.content, name=name), name, original)


def clean_evidence(upload: UploadedFile, *, field: str, label: str) -> CleanEvidence:
    """A checked evidence file, or a DomainError naming the standard (`label`) and `field`."""
    return clean_document(
        upload,
        field=field,
        too_big=f"“{label}”的佐证材料超过10MB",
        not_a_document=f"“{label}”的佐证材料须是照片（JPG、PNG）或PDF文件",
        prefix=f"“{label}”的佐证材料",
    )


def content_type(stored_name: str) -> str:
    """The content type an evidence file is served with (by its stored extension)."""
    return mimetypes.guess_type(stored_name)[0] or "application/octet-stream"


def is_pdf(stored_name: str) -> bool:
    return stored_name.lower().endswith(".pdf")
