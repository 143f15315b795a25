"""Decompression bombs: a small XLSX that unpacks to hundreds of megabytes is refused by every spreadsheet
reader before anything unpacks it, with one Indonesian message, and the process's memory stays where it was;
an ordinary workbook of a village's size passes."""
import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from lib.base import archive
from lib.evaluation import skm
from lib.rentan import desa, validasi


def _bomb(megabytes: int, level: int = 6) -> bytes:
    """A real XLSX (header NIK, Nama, Status and one row) whose one shared string is ``megabytes`` MB of the
    letter A: a few hundred kilobytes on disk."""
    wb = Workbook()
    wb.active.append(["NIK", "Nama", "Status"])
    wb.active.append(["3201010101900001", "BOM", "Valid"])
    plain = io.BytesIO()
    wb.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                zf.writestr(info.filename, source.read(info))
        with zf.open("xl/sharedStrings.xml", "w") as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>NIK</t></si><si><t>Nama</t></si>'
                    b"<si><t>Status</t></si><si><t>")
            block = b"A" * (1024 * 1024)
            for _ in range(megabytes):
                f.write(block)
            f.write(b"</t></si></sst>")
    return buf.getvalue()


def _lying(megabytes: int) -> bytes:
    """A zip whose one entry declares 1 KB but unpacks to ``megabytes`` MB."""
    data = bytearray(_bomb(megabytes))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/sharedStrings.xml")
    real = info.file_size.to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    assert data.count(real) >= 2  # in the local header and in the central directory
    return bytes(data.replace(real, fake))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb(40)


def test_a_bomb_is_refused_by_the_village_file_reader_with_one_message(bomb):
    assert len(bomb) < 200_000
    with pytest.raises(validasi.UploadError, match="tidak dapat diterima: satu bagiannya mengembang"):
        validasi.read_upload(bomb, "desa.xlsx")


def test_a_bomb_is_refused_by_the_registry_and_bpjs_reader(bomb):
    with pytest.raises(desa.RentanError, match="tidak dapat diterima"):
        desa.sheet_rows(bomb, "dtks.xlsx")


def test_a_bomb_is_refused_by_the_skm_questionnaire_reader(bomb):
    with pytest.raises(skm.SkmFileError) as err:
        skm.read_responses(bomb, "skm.xlsx")
    assert "tidak dapat diterima" in err.value.messages[0]


def test_an_entry_that_unpacks_to_more_than_it_declares_is_refused():
    with pytest.raises(archive.ArchiveRefused, match="tidak sesuai dengan ukuran yang dinyatakannya"):
        archive.check(_lying(8), "bohong.xlsx")


def test_too_many_unpacked_bytes_are_refused_even_at_an_ordinary_ratio():
    assert archive.MAX_UNPACKED < 400 * 1024 * 1024
    declared = archive.MAX_UNPACKED + 1
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"x")
    data = bytearray(buf.getvalue())
    data = data.replace((1).to_bytes(4, "little") * 2, declared.to_bytes(4, "little") * 2)
    with pytest.raises(archive.ArchiveRefused, match="paling banyak 250 MB"):
        archive.check(bytes(data), "besar.xlsx")


def test_an_ordinary_workbook_and_a_csv_pass():
    wb = Workbook()
    ws = wb.active
    for i in range(20_000):
        ws.append([i, "3201010101900001", "Nama Orang", "01/01/1990", "L", "Jl. Mawar No. 12", "Valid", ""])
    buf = io.BytesIO()
    wb.save(buf)
    archive.check(buf.getvalue(), "biasa.xlsx")
    archive.check(b"NIK;Nama;Status\n3201010101900001;Siti;Valid\n", "biasa.csv")
    archive.check(b"PK\x03\x04 terpotong", "rusak.xlsx")  # damaged: left to the reader's own message


def _status_kb(field: str) -> int:
    """A figure of this process from /proc/self/status (VmHWM: its peak since the last reset; ru_maxrss would
    carry the peak of the process it was started from)."""
    return int(re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1))


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_400_mb_bomb_leaves_the_process_memory_where_it_was():
    """Without the check, calamine would hold the 400 MB string (and Python a copy): the high-water mark of
    this process must rise by less than 300 MB, the bound the portal promises for any upload."""
    data = _bomb(400, level=1)
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark starts again from here
    before = _status_kb("VmRSS")
    with pytest.raises(validasi.UploadError):
        validasi.read_upload(data, "bom.xlsx")
    rise_mb = (_status_kb("VmHWM") - before) / 1024
    assert rise_mb < 300, f"memory rose {rise_mb:.0f} MB"
