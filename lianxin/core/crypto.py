"""Personal data at rest: AES-GCM encryption, a keyed hash for exact look-ups, and masks.

Every protected value is stored as three columns: the ciphertext (`*_cipher`), a keyed
HMAC-SHA256 digest of the normalised value (`*_digest`, indexed, for exact search) and the
mask shown to everyone without the reveal permission (`*_masked`). Plaintext never reaches
the database or the logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_VERSION = "v1"


@lru_cache(maxsize=4)
def _keys(master: str) -> tuple[bytes, bytes]:
    # Two independent subkeys so the look-up hash never reveals anything about the cipher key.
    enc = hashlib.sha256(b"lianxin-enc\x00" + master.encode()).digest()
    mac = hashlib.sha256(b"lianxin-mac\x00" + master.encode()).digest()
    return enc, mac


def _master() -> str:
    return settings.LIANXIN_DATA_KEY


def encrypt(plaintext: str) -> str:
    enc_key, _ = _keys(_master())
    nonce = os.urandom(12)
    ct = AESGCM(enc_key).encrypt(nonce, plaintext.encode("utf-8"), _VERSION.encode())
    return f"{_VERSION}:" + base64.b64encode(nonce + ct).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise ValueError(f"unknown cipher version {version!r}")
    raw = base64.b64decode(payload)
    enc_key, _ = _keys(_master())
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], _VERSION.encode()).decode("utf-8")


def digest(kind: str, normalised: str) -> str:
    """Keyed hash of a normalised value; `kind` separates ID numbers from phones."""
    _, mac_key = _keys(_master())
    return hmac.new(mac_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def normalise_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def normalise_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def mask_id_number(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    value = value.strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)


@dataclass(frozen=True)
class Protected:
    cipher: str
    digest: str
    masked: str


def protect_id_number(value: str) -> Protected:
    norm = normalise_id_number(value)
    return Protected(encrypt(norm), digest("id", norm), mask_id_number(norm))


def protect_phone(value: str) -> Protected:
    norm = normalise_phone(value)
    return Protected(encrypt(norm), digest("phone", norm), mask_phone(norm))


def id_number_digest(value: str) -> str:
    return digest("id", normalise_id_number(value))


def phone_digest(value: str) -> str:
    return digest("phone", normalise_phone(value))


def assign(obj: object, field: str, protected: Protected | None) -> None:
    """Set the `<field>_cipher/_digest/_masked` columns of a model instance (or clear them)."""
    cipher, dig, masked = (
        (protected.cipher, protected.digest, protected.masked) if protected else ("", "", "")
    )
    setattr(obj, f"{field}_cipher", cipher)
    setattr(obj, f"{field}_digest", dig)
    setattr(obj, f"{field}_masked", masked)
