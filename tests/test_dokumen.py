"""The papers the agency hands out: DOCX templates, the documents of a case and a cohort, the agenda register."""
from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from docx import Document
from sqlalchemy import func, select

from lib.base import retry
from lib.base.db import AuditEntry, DocumentTemplate, Letter, session_factory
from lib.base.permissions import PermissionDenied
from lib.casework.cases import CaseError
from lib.dokumen import agenda, berkas, templat
from lib.dokumen import kohort as dok_kohort
from lib.dokumen.templat import TemplateRefused

from .conftest import add_users
from .test_case_work import AK1_FORM, ALL_AK1
from .test_cases import T0, act, step, who
from .test_kohort import new_kohort, sf  # noqa: F401  (sf is a fixture)
from .test_rentan import actor


@pytest.fixture
def db(ready_db):
    add_users(ready_db, ("rina", "staf", None), ("dewi", "kasi", None), ("adm", "admin", None),
              ("budi", "kepala_bidang", "bidang:tenaga-kerja"), ("wahyu", "kepala_bidang", "bidang:jaminan-sosial"),
              ("kadis", "kepala_dinas", None))
    return session_factory(ready_db)


def text_of(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def missing_listed(letter: str) -> list[str]:
    """The numbered lines of a return letter right after "kelengkapan berikut belum ada:"."""
    lines = letter.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("belum ada:"))
    out = []
    for line in lines[start + 1:]:
        if not re.match(r"\d+\. ", line):
            break
        out.append(line)
    return out


def intake(db, documents=ALL_AK1):
    from lib.casework import cases
    view, _ = act(db, "rina", cases.intake, "kartu-ak1", AK1_FORM, documents, now=T0)
    return view


def make(db, user, view, kode, **kw):
    return act(db, user, berkas.make, view.id, kode, "https://portal.example", now=kw.pop("now", T0), **kw)


def docx_with(text: str, base: str = "pengembalian") -> bytes:
    """The shipped template with one more paragraph."""
    doc = Document(templat.shipped_path(base))
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- documents of a case ----------------------------------------------------------------------------------
def test_the_receipt_holds_the_register_number_the_applicants_name_a_qr_code_and_its_download_is_logged(db):
    view = intake(db)
    name, data = make(db, "rina", view, "tanda_terima")
    assert name == "tanda_terima-AK1-2026-00001.docx"
    text = text_of(data)
    assert "AK1/2026/00001" in text and "Andi Saputra" in text and "1671********0003" in text
    assert "1671011505950003" not in text  # the receipt shows the NIK masked
    assert "cek-status?nomor=AK1%2F2026%2F00001" in text
    assert len(Document(io.BytesIO(data)).inline_shapes) == 1  # the QR code
    with db() as s:
        logged = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "ekspor",
                                                           AuditEntry.object_type == "case")).all()
    assert logged == ["Tanda terima berkas AK1/2026/00001"]


def test_a_persons_data_on_request_names_who_downloaded_a_document_of_their_file(db, ready_db):
    from openpyxl import load_workbook

    from lib.pribadi import permintaan
    view = intake(db)
    make(db, "rina", view, "tanda_terima", now=T0 + dt.timedelta(minutes=1))
    with db.begin() as s:
        got = permintaan.export(s, who(db, "kadis"), AK1_FORM["nik"])
    sheet = load_workbook(io.BytesIO(got.data))["Akses NIK"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any("Unduhan dokumen berkas AK1/2026/00001" in c for c in cells), cells


def test_the_return_letter_lists_exactly_the_missing_documents_and_keeps_its_number(db):
    view = intake(db, {**ALL_AK1, "fc_ijazah": False, "foto_2x3": False})
    with pytest.raises(CaseError, match="belum dapat dibuat"):
        make(db, "rina", view, "pengembalian")  # not returned yet
    view = step(db, "rina", view, 2, outcome="tidak", note="Belum lengkap: FC Ijazah Terakhir, Pas Photo 2 x 3.")
    assert view.state == "dikembalikan"
    _, first = make(db, "rina", view, "pengembalian")
    text = text_of(first)
    assert missing_listed(text) == ["1. FC Ijazah Terakhir", "2. Pas Photo 2 x 3 (1 lbr)"]  # exactly those
    _, again = make(db, "rina", view, "pengembalian")
    with db() as s:
        (nomor,) = s.scalars(select(Letter.nomor)).all()  # one number, given once
    assert nomor == "1/560/TK/2026" and nomor in text and nomor in text_of(again)


def test_the_ak1_card_comes_from_step_3_with_the_full_nik_whose_view_is_logged(db):
    view = intake(db)
    with pytest.raises(CaseError):
        make(db, "rina", view, "kartu_ak1")
    view = step(db, "rina", view, 2, outcome="ya")
    _, data = make(db, "rina", view, "kartu_ak1")
    text = text_of(data)
    assert "1671011505950003" in text and "Andi Saputra" in text and "15 Mei 1995" in text and "SMA/SMK" in text
    with db() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "lihat_nik")) == 1


def test_the_passport_recommendation_takes_a_number_and_the_applicants_data(db):
    from lib.casework import cases
    form = {"nama": "Sari Dewi", "nik": "1671014101000002", "tanggal_lahir": dt.date(2000, 1, 1),
            "negara_tujuan": "Malaysia", "perusahaan_penempatan": "PT Maju Jaya"}
    docs = {x: True for x in ("surat_pemohon", "ak1", "pengantar_rekrut", "fc_ktp", "fc_akte", "fc_kk", "fc_ijazah",
                              "izin_wali", "sertifikat", "paspor", "perjanjian")}
    view, _ = act(db, "rina", cases.intake, "rekomendasi-paspor", form, docs, now=T0)
    view = step(db, "rina", view, 1)
    view = step(db, "kadis", view, 2, outcome="ya")  # the Kepala Dinas disposes the file to the Kabid
    with pytest.raises(CaseError):
        make(db, "rina", view, "rekomendasi_paspor")  # step 4 makes it
    view = step(db, "budi", view, 3)
    _, data = make(db, "rina", view, "rekomendasi_paspor")
    text = text_of(data)
    assert "1/560/TK/2026" in text and "Sari Dewi" in text and "1671014101000002" in text and "PT Maju Jaya" in text
    assert "Kepala Kantor Imigrasi" in text and "GUNSONO MEKSON" in text  # the signer of the SOP


# --- templates -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,name", [("{{ salah_ketik }}", "salah_ketik"),
                                       ("{% for k in kekurangan %}{{ k.warna }}{% endfor %}", "warna"),
                                       ("{{ nomor_register.__class__ }}", "__class__")])
def test_a_template_with_an_unknown_placeholder_is_refused_with_its_name(text, name):
    with pytest.raises(TemplateRefused, match=name):
        templat.check("pengembalian", docx_with(text))


def test_a_broken_placeholder_or_a_file_that_is_no_docx_is_refused():
    with pytest.raises(TemplateRefused, match="rusak"):
        templat.check("pengembalian", docx_with("{{ nama_pemohon "))
    with pytest.raises(TemplateRefused, match="bukan dokumen Word"):
        templat.check("pengembalian", b"PK\x03\x04 bukan zip")


def test_every_shipped_template_renders_its_sample_and_uses_only_documented_placeholders():
    for kode in templat.DOCUMENTS:
        used = templat.check(kode, templat.shipped_path(kode).read_bytes())
        assert set(used) <= set(templat.DOCUMENTS[kode].placeholders)


def test_a_replaced_template_changes_the_next_letter_every_version_is_kept_and_the_change_audited(db):
    view = intake(db, {**ALL_AK1, "fc_ktp": False})
    view = step(db, "rina", view, 2, outcome="tidak", note="Belum lengkap: FC KTP.")
    with pytest.raises(PermissionDenied):
        act(db, "rina", templat.replace, "pengembalian", "kop.docx", docx_with("KOP BARU DINAS"))
    assert act(db, "adm", templat.replace, "pengembalian", "kop.docx", docx_with("KOP BARU DINAS")) == 1
    assert act(db, "adm", templat.replace, "pengembalian", "kop2.docx", docx_with("KOP KEDUA")) == 2
    _, data = make(db, "rina", view, "pengembalian")
    assert "KOP KEDUA" in text_of(data) and "KOP BARU DINAS" not in text_of(data)
    with db() as s:
        assert s.scalar(select(func.count()).select_from(DocumentTemplate)) == 2
        versions = templat.versions(s, who(db, "adm"), "pengembalian")
        assert [v.versi for v in versions] == [2, 1, 0]
        assert "KOP BARU DINAS" in text_of(templat.version_content(s, who(db, "adm"), "pengembalian", 1))
        audited = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "ganti_templat")).all()
    assert len(audited) == 2 and "versi 2" in audited[1]


# --- agenda register -------------------------------------------------------------------------------------
def issue(s, user, object_id, bidang="tenaga-kerja"):
    return agenda.issue(s, user, "pengembalian", "560", bidang, "Uji", "Pemohon", "case", object_id, now=T0)


def test_numbers_count_per_bidang_when_the_pattern_has_one_and_per_year_otherwise(db):
    with db.begin() as s:
        staf = who(db, "rina")
        assert issue(s, staf, 1).nomor == "1/560/TK/2026"
        assert issue(s, staf, 2, "jaminan-sosial").nomor == "1/560/JS/2026"
        assert issue(s, staf, 1).nomor == "1/560/TK/2026"  # the same letter keeps its number
        agenda.save_pattern(s, who(db, "adm"), "{kode}/{nomor}/DISNAKER/{bulan}/{tahun}")
        assert issue(s, staf, 3).nomor == "560/1/DISNAKER/I/2026"
        assert issue(s, staf, 4, "jaminan-sosial").nomor == "560/2/DISNAKER/I/2026"
        with pytest.raises(agenda.AgendaError, match="warna"):
            agenda.save_pattern(s, who(db, "adm"), "{nomor}/{warna}/{tahun}")
        with pytest.raises(agenda.AgendaError, match="nomor"):
            agenda.save_pattern(s, who(db, "adm"), "{kode}/{tahun}")


def test_two_requests_at_the_same_moment_get_two_different_consecutive_numbers(db):
    staf = who(db, "rina")
    first_done, results, errors = threading.Event(), {}, []

    def one(object_id, hold: bool):
        def action(s):
            letter = issue(s, staf, object_id)
            if hold:
                first_done.set()
                threading.Event().wait(0.6)  # keep the transaction (and the counter's lock) open
            return letter.seq
        try:
            results[object_id] = retry.in_transaction(db, action, attempts=5)
        except Exception as err:  # noqa: BLE001 (shown by the assertion below)
            errors.append(err)

    a = threading.Thread(target=one, args=(1, True))
    a.start()
    assert first_done.wait(10)
    b = threading.Thread(target=one, args=(2, False))
    b.start()
    a.join(20)
    b.join(20)
    assert not errors and sorted(results.values()) == [1, 2]
    with db() as s:
        assert sorted(s.scalars(select(Letter.nomor))) == ["1/560/TK/2026", "2/560/TK/2026"]


def test_the_register_export_is_logged_and_a_kepala_bidang_sees_only_their_bidang(db):
    with db.begin() as s:
        issue(s, who(db, "rina"), 1)
        issue(s, who(db, "rina"), 2, "jaminan-sosial")
    with db.begin() as s:
        assert [e.nomor for e in agenda.entries(s, who(db, "budi"), 2026)] == ["1/560/TK/2026"]
        assert len(agenda.entries(s, who(db, "rina"))) == 2
        data = agenda.export_xlsx(s, who(db, "rina"), 2026)
    assert data.startswith(b"PK")
    with db() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "ekspor",
                                                   AuditEntry.object_type == "agenda_surat")) == 1


# --- cohort documents ------------------------------------------------------------------------------------------
def test_the_desa_letter_attaches_its_list_with_the_deadline_five_working_days_on(sf):  # noqa: F811
    from lib.rentan import kohort
    with sf.begin() as s:
        kid = new_kohort(s)
        with pytest.raises(kohort.KohortError, match="belum diverifikasi"):
            dok_kohort.confirmation_letter(s, actor(s, "stafku"), kid, "karang-dalo")
        kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        now = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)  # Friday
        name, data = dok_kohort.confirmation_letter(s, actor(s, "stafku"), kid, "karang-dalo", now=now)
        text = text_of(data)
        assert "paling lambat 27 November 2026 (5 hari kerja)" in text and "sementara 8 calon" in text
        table = Document(io.BytesIO(data)).tables[-1]
        assert len(table.rows) == 1 + 8  # header + the provisional list
        with pytest.raises(PermissionDenied):
            dok_kohort.confirmation_letter(s, actor(s, "opdesa"), kid, "karang-dalo")


def test_the_templates_readme_lists_every_placeholder_of_every_document():
    text = (templat.TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    for d in templat.DOCUMENTS.values():
        assert f"(`{d.kode}`)" in text
        missing = [p for p in d.placeholders if f"| `{p}` |" not in text]
        assert not missing, (d.kode, missing)


def test_the_sk_attachment_lists_every_participant_with_full_nik_and_its_download_is_logged(sf):  # noqa: F811
    from lib.base.db import AuditEntry as Entry
    from lib.rentan import kohort

    from .test_kohort import letter_answered
    with sf.begin() as s:
        kid = new_kohort(s)
        letter_answered(s, kid)
        kohort.take_validated(s, actor(s, "stafku"), kid)
        people = kohort.participants(s, actor(s, "stafku"), kid)
        _, data = dok_kohort.sk_attachment(s, actor(s, "stafku"), kid)
        with pytest.raises(PermissionDenied):
            dok_kohort.sk_attachment(s, actor(s, "opdesa"), kid)  # a village operator does not see the cohort
    text = text_of(data)
    assert "RANCANGAN SK" in text and all(p.nik in text and p.nama in text for p in people) and people
    assert len(Document(io.BytesIO(data)).tables[-1].rows) == 1 + len(people)
    with sf() as s:
        assert s.scalar(select(func.count()).where(Entry.action == "ekspor", Entry.object_type == "kohort")) == 1


def test_a_desa_letter_recorded_without_a_typed_number_takes_its_number_from_the_agenda(sf):  # noqa: F811
    from lib.rentan import kohort
    with sf.begin() as s:
        kid = new_kohort(s)
        for kode in ("karang-dalo", "jatiharjo"):
            kohort.verify_desa(s, actor(s, "kabidku"), kid, kode)
        now = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.timezone.utc)
        _, data = dok_kohort.confirmation_letter(s, actor(s, "stafku"), kid, "karang-dalo", now=now)
        printed = dok_kohort.agenda_numbers(s, kid, ["karang-dalo", "jatiharjo"])
        assert list(printed) == ["karang-dalo"] and printed["karang-dalo"] in text_of(data)
        rows = dok_kohort.send_letters(s, actor(s, "stafku"), kid, ["karang-dalo", "jatiharjo"], " ",
                                       dt.date(2026, 11, 20), now=now)
        numbers = {r.desa_kode: r.surat_nomor for r in rows}
        assert numbers["karang-dalo"] == printed["karang-dalo"]
        given = dok_kohort.agenda_numbers(s, kid, ["jatiharjo"])["jatiharjo"]
        assert numbers["jatiharjo"] == given != numbers["karang-dalo"]
        assert s.scalar(select(func.count()).select_from(Letter)) == 2  # the printed number is not given twice


def test_a_typed_letter_number_still_wins_over_the_agenda(sf):  # noqa: F811
    from lib.rentan import kohort
    with sf.begin() as s:
        kid = new_kohort(s)
        kohort.verify_desa(s, actor(s, "kabidku"), kid, "karang-dalo")
        rows = dok_kohort.send_letters(s, actor(s, "stafku"), kid, ["karang-dalo"], "400/9/2026",
                                       dt.date(2026, 11, 20))
        assert rows[0].surat_nomor == "400/9/2026"
        assert s.scalar(select(func.count()).select_from(Letter)) == 0
