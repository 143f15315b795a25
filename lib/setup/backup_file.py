"""The backup file: a zip archive of one JSON Lines member per table and a manifest, optionally encrypted.

Layout of the archive:

- ``manifest.json``: ``{"format": "portal-sop-cadangan", "format_version": 1, "schema_revision", "created_at",
  "source", "tables": [{"name", "columns", "rows", "sha256"}]}``, the tables in an order that loads without
  breaking a foreign key;
- ``tables/<name>.jsonl``: one JSON array per row, the values in the order of ``columns``.

Values are written the same way whatever database they came from (:func:`encode`): an instant as ISO 8601 UTC
with microseconds and ``Z``, a date as ISO 8601, bytes (the case attachments, which live in the database) as
base64, a JSON column as its JSON value. A table's ``sha256`` (:class:`TableDigest`) is the SHA-256 of the sorted
SHA-256 digests of its lines: it does not depend on the order the rows were read in, so the same figure can be
computed again from a restored database of the other kind and compared.

Encryption (``PORTAL_BACKUP_KEY``): AES-256-GCM from ``cryptography`` in chunks of 1 MiB (each chunk
authenticated with its number and whether it is the last, so a chunk cannot be moved, dropped or the file cut
short unnoticed); the key is derived from the setting with scrypt and a random salt per file.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import struct
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from lib.base import config
from lib.base.errors import UserError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "portal-sop-cadangan"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: The first bytes of an encrypted backup.
MAGIC = b"PORTALSOP-CADANGAN-AES256GCM-1\n"
CHUNK = 1024 * 1024
#: A backup key must be at least this long (like the cookie key): 32 random characters or more.
MIN_KEY_LENGTH = 32
_SALT = 16
_NONCE_PREFIX = 7


class BackupRefused(UserError):
    """The file is not a backup of the portal, is damaged, or cannot be used here; nothing was written."""


def member(table: str) -> str:
    return f"tables/{table}.jsonl"


def encode(value: Any) -> Any:
    """A column value as JSON, the same for SQLite and PostgreSQL (see the module docstring)."""
    if value is None or isinstance(value, (bool, int, float, str, dict, list)):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite keeps UTC without a zone
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no backup encoding for {type(value).__name__}")


def line(values) -> bytes:
    """One row as its line in the table's member (and as its digest sees it)."""
    return (json.dumps([encode(v) for v in values], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            + "\n").encode("utf-8")


class TableDigest:
    """Rows and the order-independent SHA-256 of a table's lines."""

    def __init__(self) -> None:
        self.rows = 0
        self._hashes: list[bytes] = []

    def add(self, data: bytes) -> None:
        self.rows += 1
        self._hashes.append(hashlib.sha256(data).digest())

    def hexdigest(self) -> str:
        return hashlib.sha256(b"".join(sorted(self._hashes))).hexdigest()


def backup_key() -> bytes | None:
    """``PORTAL_BACKUP_KEY`` (None: backups are not encrypted); refused when shorter than 32 characters."""
    text = (config.setting("PORTAL_BACKUP_KEY") or "").strip()
    if not text:
        return None
    if len(text) < MIN_KEY_LENGTH:
        raise BackupRefused(f"PORTAL_BACKUP_KEY terlalu pendek ({len(text)} karakter); minimal {MIN_KEY_LENGTH} "
                            "karakter acak, misalnya dari: python -c \"import secrets; "
                            "print(secrets.token_urlsafe(48))\"")
    return text.encode("utf-8")


def _derive(key: bytes, salt: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # loaded by the commands that encrypt
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return AESGCM(Scrypt(salt=salt, length=32, n=2 ** 14, r=8, p=1).derive(key))


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">Q?", index, last)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    """12 bytes: the file's random prefix (7), the chunk's number (4: up to 4 TiB) and whether it is the last."""
    return prefix + struct.pack(">I?", index, last)


class EncryptingWriter:
    """A write-only stream that encrypts what is written to ``raw`` (see the module docstring)."""

    def __init__(self, raw: BinaryIO, key: bytes) -> None:
        salt, self._prefix = os.urandom(_SALT), os.urandom(_NONCE_PREFIX)
        self._header = MAGIC + salt + self._prefix
        self._raw, self._aes = raw, _derive(key, salt)
        self._buffer, self._index = bytearray(), 0
        raw.write(self._header)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def _emit(self, chunk: bytes, last: bool) -> None:
        nonce = _nonce(self._prefix, self._index, last)
        sealed = self._aes.encrypt(nonce, chunk, _aad(self._header, self._index, last))
        self._raw.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1

    def close(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._raw.flush()


def is_encrypted(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def decrypt(path: Path, out: BinaryIO, key: bytes | None) -> None:
    """Write the plain archive of the encrypted backup ``path`` to ``out``; a wrong key or a damaged file is
    refused (what was written to ``out`` must then be thrown away)."""
    from cryptography.exceptions import InvalidTag

    if key is None:
        raise BackupRefused(f"Berkas cadangan {path.name} terenkripsi: set PORTAL_BACKUP_KEY dengan kunci yang "
                            "dipakai saat membuatnya.")
    with open(path, "rb") as f:
        header = f.read(len(MAGIC) + _SALT + _NONCE_PREFIX)
        if len(header) < len(MAGIC) + _SALT + _NONCE_PREFIX:
            raise BackupRefused(f"Berkas cadangan {path.name} rusak (terpotong).")
        aes, prefix, index = _derive(key, header[len(MAGIC):len(MAGIC) + _SALT]), header[-_NONCE_PREFIX:], 0
        while True:
            size = f.read(4)
            if len(size) < 4:
                raise BackupRefused(f"Berkas cadangan {path.name} rusak (terpotong).")
            sealed = f.read(struct.unpack(">I", size)[0])
            last = f.peek(1)[:1] == b"" if hasattr(f, "peek") else False
            nonce = _nonce(prefix, index, last)
            try:
                out.write(aes.decrypt(nonce, sealed, _aad(header, index, last)))
            except InvalidTag:
                if index == 0:
                    raise BackupRefused(f"Berkas cadangan {path.name} tidak dapat dibuka: kunci PORTAL_BACKUP_KEY "
                                        "salah, atau berkasnya rusak.") from None
                raise BackupRefused(f"Berkas cadangan {path.name} rusak (bagian ke-{index + 1} tidak cocok dengan "
                                    "segelnya).") from None
            if last:
                return
            index += 1


def open_private(path: Path) -> BinaryIO:
    """A new file readable and writable by its owner only (mode 0600), never an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    return os.fdopen(fd, "wb")
