"""The Validasi desa page (AppTest) beyond tests/test_rentan.py: a large file, what "Terima" leaves on the page
and in the list of accepted files, and a village's own text shown literally."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from lib.base.accounts import load_actor
from lib.base.db import session_factory
from lib.rentan import desa as rentan
from lib.rentan import validasi
from views.validasi_desa import PREVIEW_ROWS

from .test_pages import open_app, texts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filled(url: str, status: str = "Valid") -> bytes:
    """Karang Dalo's template as the portal gives it, every candidate given ``status``."""
    with session_factory(url).begin() as s:
        data = rentan.template(s, load_actor(s, "operator"), "karang-dalo")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Validasi"]
    for r in range(6, ws.max_row + 1):
        if ws.cell(r, 2).value:
            ws.cell(r, 7).value = status
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(at, name: str, data: bytes, mime: str = XLSX):
    at.file_uploader[0].set_value((name, data, mime))
    return at.run()


def bullets(at) -> list[str]:
    return [line for m in at.markdown for line in m.value.splitlines() if line.startswith("- ")]


def test_a_large_file_shows_its_invalid_rows_first_and_no_more_than_the_preview_limit(app_db):
    # More rows than a pandas Styler may colour (262,144 cells / 6 columns) when the upload limit allows it.
    n = min(validasi.MAX_ROWS, 45_000)
    lines = ["NIK;Nama;Status"]
    for i in range(n):  # distinct valid NIKs (none in the reference data: a note on every row)
        nik = f"331301{i % 28 + 1:02d}{i // 28 % 12 + 1:02d}{60 + i // 336 % 40:02d}{i // 13440 + 1:04d}"
        lines.append(f"{nik};Orang {i};{'Vaild' if i in (7, n - 1) else 'Valid'}")
    at = open_app("validasi-desa", user="operator")
    upload(at, "besar.csv", "\n".join(lines).encode(), "text/csv")
    assert not at.exception, at.exception
    assert n > PREVIEW_ROWS
    assert f"hanya menampilkan {PREVIEW_ROWS:,} baris bermasalah".replace(",", ".") in texts(at)
    shown = at.dataframe[0].value
    assert len(shown) == PREVIEW_ROWS
    assert list(shown["Baris"][:3]) == [9, n + 1, 2]  # the two invalid rows (header on row 1), then the notes
    assert list(shown["Hasil"][:3]) == ["Tidak sah", "Tidak sah", "Sah, dengan catatan"]
    assert at.button(key="val-terima").label == f"Terima {n - 2:,} baris sah (lewati 2 tidak sah)".replace(",", ".")


def test_terima_says_the_file_was_just_accepted_and_lists_it_once_even_when_sent_again(app_db):
    at = open_app("validasi-desa", user="operator")
    assert "Berkas yang sudah diterima" not in texts(at)
    data = filled(app_db)
    upload(at, "validasi karang_dalo.xlsx", data)
    assert not at.error and not at.exception
    at.button(key="val-terima").click().run()
    assert not at.exception, at.exception
    assert "8 baris disimpan" in at.success[0].value
    assert at.info[0].value.startswith("Berkas ini sudah diterima pada ")  # not "…again changes nothing"
    accepted = [b for b in bullets(at) if "8 baris disimpan" in b]
    assert len(accepted) == 1 and "validasi karang\\_dalo.xlsx" in accepted[0]  # shown literally, not italic

    again = open_app("validasi-desa", user="operator")
    upload(again, "lagi.xlsx", data)
    assert "Mengunggahnya lagi tidak mengubah apa pun" in again.info[0].value
    assert not [b for b in again.button if b.key == "val-terima"]
    assert len([b for b in bullets(again) if "8 baris disimpan" in b]) == 1


def test_a_village_status_is_shown_as_written_not_as_markdown(app_db):
    at = open_app("validasi-desa", user="operator")
    upload(at, "v.xlsx", filled(app_db, status="*Valid*"))
    assert not at.exception, at.exception
    problems = [b for b in bullets(at) if "kolom G (Status)" in b]
    assert len(problems) == 8
    assert "Status “\\*Valid\\*” tidak dikenal" in problems[0]


def test_the_uploader_takes_an_ods_file_as_the_command_line_does(app_db):
    at = open_app("validasi-desa", user="operator")
    assert not at.exception, at.exception
    assert ".ods" in list(at.file_uploader[0].allowed_type) and "ODS" in at.file_uploader[0].label


def test_the_page_keeps_one_checked_file_per_desa_in_memory_the_one_in_the_uploader(app_db):
    at = open_app("validasi-desa", user="operator")
    upload(at, "pertama.xlsx", filled(app_db))
    upload(at, "kedua.xlsx", filled(app_db, status="Pindah"))
    assert not at.exception, at.exception
    kept = [k for k in at.session_state if str(k).startswith("val-periksa-")]
    assert len(kept) == 1, kept
    assert at.session_state[kept[0]][1].upload.filename == "kedua.xlsx"


def test_an_invalid_row_shows_its_status_as_typed_and_every_reason_it_is_invalid(app_db):
    lines = ["NIK;Nama;Status", "3313010101600001;Orang Satu;Vaild", "12345;;Meninggal dunia x",
             "3313010101600002;Orang Dua;Valid"]
    at = open_app("validasi-desa", user="operator")
    upload(at, "v.csv", "\n".join(lines).encode(), "text/csv")
    assert not at.exception, at.exception
    shown = at.dataframe[0].value.set_index("Baris")
    assert shown.at[2, "Status"] == "Vaild" and shown.at[3, "Status"] == "Meninggal dunia x"
    assert "Status “Vaild” tidak dikenal" in shown.at[2, "Alasan tidak sah"]
    assert "rujukan" in shown.at[2, "Catatan"].lower()  # the NIK note stays, in its own column
    reasons = shown.at[3, "Alasan tidak sah"]
    assert "NIK" in reasons and "Nama kosong" in reasons and "Status “Meninggal dunia x”" in reasons
    assert shown.at[4, "Alasan tidak sah"] == ""


def test_the_notes_count_and_the_valid_rows_with_a_note_cannot_be_read_as_contradicting(app_db):
    lines = ["NIK;Nama;Status", "3313010101600001;Orang Satu;Vaild", "3313010101600002;Orang Dua;Vaild"]
    at = open_app("validasi-desa", user="operator")
    upload(at, "v.csv", "\n".join(lines).encode(), "text/csv")
    metric = next(m for m in at.metric if m.label == "Sah, dengan catatan")
    assert metric.value == "0"
    assert at.expander[0].label.startswith("2 catatan pada 0 baris sah dengan catatan dan 2 baris yang juga "
                                           "tidak sah")
