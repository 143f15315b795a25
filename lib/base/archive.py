"""A spreadsheet archive checked before anything unpacks it: a 400 KB XLSX can hold one string that unpacks to
400 MB (a decompression bomb), and the readers (calamine) would hold all of it in memory.

An XLSX or ODS file is a zip archive. :func:`check` refuses one with too many entries, with more declared
unpacked bytes than :data:`MAX_UNPACKED`, with an entry that unpacks more than :data:`MAX_RATIO` times its
packed size, or whose entries really unpack to more than they declare (it inflates each entry in bounded
chunks, counting, without keeping the data). Anything that is not a zip archive (CSV, the old binary XLS) has
nothing to unpack and passes. Light on purpose: the command-line check of a village file imports it.
"""
from __future__ import annotations

import io
import zipfile

from lib.base.errors import UserError

#: Declared unpacked bytes of all entries together: a 100,000-row village file unpacks to well under this.
MAX_UNPACKED = 250 * 1024 * 1024
#: An entry larger than :data:`RATIO_FLOOR` may unpack to at most this many times its packed size (ordinary
#: sheet XML packs 5–20 times; a bomb, hundreds or thousands of times).
MAX_RATIO = 150
RATIO_FLOOR = 4 * 1024 * 1024
MAX_ENTRIES = 2000
_CHUNK = 1024 * 1024


class ArchiveRefused(UserError):
    """The file would unpack to far more than a spreadsheet of its kind holds; nothing was read."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f}".replace(",", ".")


def _refuse(filename: str, why: str) -> ArchiveRefused:
    return ArchiveRefused(f"Berkas “{filename}” tidak dapat diterima: {why}. Berkas seperti ini bukan lembar kerja "
                          "biasa dan bisa melumpuhkan server. Buka di Excel, salin datanya ke buku kerja baru, "
                          "simpan, lalu unggah lagi.")


def check(data: bytes, filename: str) -> None:
    """Raise :class:`ArchiveRefused` (one Indonesian message) for an archive that would unpack too far."""
    if not data.startswith(b"PK"):
        return
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # damaged: the reader refuses it in its own words
    if len(infos) > MAX_ENTRIES:
        raise _refuse(filename, f"isinya {len(infos)} bagian (paling banyak {MAX_ENTRIES})")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNPACKED:
        raise _refuse(filename, f"isinya bila dibuka {_mb(declared)} MB (paling banyak {_mb(MAX_UNPACKED)} MB)")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(filename, f"satu bagiannya mengembang {info.file_size // max(info.compress_size, 1)} kali "
                                    f"bila dibuka (paling banyak {MAX_RATIO} kali)")
    _inflate_within(zf, infos, filename)


def _inflate_within(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], filename: str) -> None:
    """Unpack every entry in bounded chunks, keeping nothing, to check it holds no more than it declares."""
    total = 0
    for info in infos:
        try:
            with zf.open(info) as f:
                while chunk := f.read(_CHUNK):
                    total += len(chunk)
                    if total > MAX_UNPACKED:
                        raise _refuse(filename, f"isinya bila dibuka lebih dari {_mb(MAX_UNPACKED)} MB")
        except zipfile.BadZipFile as err:  # an entry that does not unpack to what it declares
            raise _refuse(filename, "isinya tidak sesuai dengan ukuran yang dinyatakannya (rusak atau dibuat "
                                    "dengan sengaja)") from err
        except (NotImplementedError, RuntimeError, EOFError, OSError, ValueError):
            return  # encrypted or an unknown packing: the reader refuses it in its own words
