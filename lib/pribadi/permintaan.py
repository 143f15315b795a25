"""A person's data on request (UU 27/2022): one XLSX of everything the portal holds about one NIK.

:func:`export` checks ``export_person_data``, then the NIK (:func:`lib.casework.nik.check`), gathers the rows
below and writes them through :func:`lib.base.sheets.to_bytes`: a first sheet *Ringkasan* (what was searched,
when, by whom, and how many rows each sheet holds, "tidak ada data" for none), then one sheet per kind. The
export itself is logged (``ekspor_data_pribadi``: the NIK masked, and by its fingerprint).

Where the portal holds a NIK, and how this module finds the person there:

* cases whose applicant has the NIK (``cases.nik``, the intake form's NIK field), with their form values,
  step runs, state history, comments and the names of their attachments (the files stay in the portal);
* pekerja rentan: DTKS/P3KE/DTSEN reference rows, candidate rows, the rows of village validation files with
  the NIK and those files (name, desa, when, by whom), cohort participants and BPJS Ketenagakerjaan's answers;
* the audit log, which never holds a full NIK: full views of the NIK (``lihat_nik``) on an object that holds
  it; searches by the NIK and earlier exports of this person's data, by the NIK's fingerprint
  (:func:`lib.casework.nik.fingerprint`); and exports of a list the person was on at that moment (a register
  of their case's SOP, a cohort list, a desa's validation list), which may have carried their data. A search
  logged before fingerprints were recorded names the NIK only masked, which many people share: it is left out.

Nothing about another person is written: a cohort replacement is said as "Ya", never named.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lib.base import audit, fmt, workflow
from lib.base.db import (
    AuditEntry,
    BpjsCek,
    CalonPenerima,
    Case,
    CaseAttachment,
    CaseComment,
    Desa,
    Kohort,
    PesertaKohort,
    ReferensiRentan,
    SopRevision,
    StepRun,
    User,
    ValidasiBaris,
    ValidasiBatch,
    WorkflowHistory,
    utcnow,
)
from lib.base.errors import UserError
from lib.base.permissions import Actor, require
from lib.base.sheets import safe_cell, to_bytes, write_table
from lib.base.worktime import WIB
from lib.casework import nik as nik_rules
from lib.catalogue import model as catalog
from lib.catalogue import store
from lib.rentan.bpjs import BPJS_STATUS
from lib.rentan.validasi import STATUS_LABELS

PERMISSION = "export_person_data"
TITLE = "Data pribadi atas permintaan pemiliknya (UU 27/2022 tentang Pelindungan Data Pribadi)"
NO_DATA = "tidak ada data"
_SEX = {"L": "Laki-laki", "P": "Perempuan"}


class DataPribadiError(UserError):
    """The NIK cannot be searched (Indonesian message); nothing was read or written."""


@dataclass(frozen=True)
class Sheet:
    name: str                 # at most 31 characters (Excel)
    isi: str                  # what the sheet holds, one sentence
    headers: tuple[str, ...]
    rows: list[list]


@dataclass(frozen=True)
class Export:
    """The workbook and what it holds, for the page: (sheet name, rows) in sheet order."""
    data: bytes
    file_name: str
    nik_masked: str
    counts: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def export(session: Session, actor: Actor, raw_nik: str, now: dt.datetime | None = None) -> Export:
    """Everything held about the NIK ``raw_nik`` as XLSX; needs ``export_person_data``; the export is logged.
    A NIK that is not valid raises :class:`DataPribadiError` (nothing read, nothing logged)."""
    require(actor, PERMISSION)
    checked = nik_rules.check(raw_nik if isinstance(raw_nik, str) else "")
    if not checked.ok:
        raise DataPribadiError(f"NIK tidak dapat dicari: {checked.errors[0][1]}")
    nik, now = checked.nik, now or utcnow()
    found = _gather(session, nik)
    sheets = [_cases(found), _form_values(found), _steps(found), _history(found), _comments(found),
              _reference(found), _candidates(found), _rows(found), _uploads(found), _participants(found),
              _bpjs(found), _access(found)]
    data = _workbook(nik, now, actor, sheets)
    counts = [(s.name, len(s.rows)) for s in sheets]
    detail = f"NIK {nik_rules.mask(nik)}: " + ", ".join(f"{name} {n}" for name, n in counts)
    audit.record(session, actor, "ekspor_data_pribadi", nik_rules.AUDIT_OBJECT, found.fingerprint, detail)
    return Export(data, f"data-pribadi-{nik[:4]}-{nik[-4:]}-{now.astimezone(WIB):%Y-%m-%d}.xlsx",
                  nik_rules.mask(nik), counts)


# --- gathering ----------------------------------------------------------------------------------------------
@dataclass
class _Found:
    session: Session
    nik: str
    fingerprint: str
    users: dict[int, str]
    desa: dict[str, str]
    cases: list[Case]
    docs: dict[int, catalog.SOP]  # revision id -> the document the case was opened under
    reference: list[ReferensiRentan]
    candidates: list[CalonPenerima]
    rows: list[tuple[ValidasiBaris, ValidasiBatch]]
    participants: list[tuple[PesertaKohort, Kohort]]
    batches: dict[int, ValidasiBatch] = field(default_factory=dict)


def _gather(session: Session, nik: str) -> _Found:
    users = {i: f"{name} ({username})" for i, username, name in session.execute(select(User.id, User.username,
                                                                                      User.name))}
    cases = list(session.scalars(select(Case).where(Case.nik == nik).order_by(Case.created_at, Case.id)))
    docs = {rid: store.document(session.get(SopRevision, rid)) for rid in {c.revision_id for c in cases}}
    found = _Found(
        session, nik, nik_rules.fingerprint(session, nik), users,
        dict(session.execute(select(Desa.kode, Desa.nama)).all()), cases, docs,
        list(session.scalars(select(ReferensiRentan).where(ReferensiRentan.nik == nik)
                             .order_by(ReferensiRentan.imported_at, ReferensiRentan.id))),
        list(session.scalars(select(CalonPenerima).where(CalonPenerima.nik == nik)
                             .order_by(CalonPenerima.created_at, CalonPenerima.id))),
        [tuple(r) for r in session.execute(
            select(ValidasiBaris, ValidasiBatch).join(ValidasiBatch, ValidasiBatch.id == ValidasiBaris.batch_id)
            .where(ValidasiBaris.nik == nik).order_by(ValidasiBatch.uploaded_at, ValidasiBaris.excel_row))],
        [tuple(r) for r in session.execute(
            select(PesertaKohort, Kohort).join(Kohort, Kohort.id == PesertaKohort.kohort_id)
            .where(PesertaKohort.nik == nik).order_by(PesertaKohort.added_at, PesertaKohort.id))])
    batch_ids = {b.id for _, b in found.rows} | {c.batch_id for c in found.candidates if c.batch_id}
    if batch_ids:
        found.batches = {b.id: b for b in session.scalars(select(ValidasiBatch).where(ValidasiBatch.id.in_(batch_ids))
                                                          .order_by(ValidasiBatch.uploaded_at, ValidasiBatch.id))}
    return found


def _who(found: _Found, user_id: int | None) -> str:
    return found.users.get(user_id, "—") if user_id else "sistem"


def _date(d: dt.date | None) -> str:
    return fmt.tanggal(d) if d else "—"


def _desa(found: _Found, kode: str | None) -> str:
    return found.desa.get(kode, kode) if kode else "—"


def _value(v) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "Ya" if v else "Tidak"
    return str(v)


# --- cases ------------------------------------------------------------------------------------------------
def _cases(found: _Found) -> Sheet:
    rows = []
    for c in found.cases:
        doc = found.docs[c.revision_id]
        rows.append([c.register_no, doc.label, found.session.get(SopRevision, c.revision_id).revision_no,
                     workflow.state_label("case", c.state), c.applicant_name or "—", c.nik, c.scope or "—",
                     fmt.waktu(c.created_at), _who(found, c.created_by), fmt.waktu(c.closed_at)])
    return Sheet("Permohonan", "Permohonan layanan (semua SOP) dengan NIK ini sebagai NIK pemohon.",
                 ("No. register", "Layanan", "Revisi SOP", "Status", "Nama pemohon", "NIK", "Cakupan", "Dibuka",
                  "Dibuka oleh", "Selesai"), rows)


def _form_values(found: _Found) -> Sheet:
    rows = []
    for c in found.cases:
        doc, data = found.docs[c.revision_id], c.data or {}
        labels = {f.nama: f.label for f in doc.formulir}
        for key, value in (data.get("isian") or {}).items():
            rows.append([c.register_no, "Formulir", labels.get(key, key), _value(value)])
        documents = {d.kode: d.label for d in doc.kelengkapan}
        for key, present in (data.get("kelengkapan") or {}).items():
            rows.append([c.register_no, "Kelengkapan", documents.get(key, key), "Ada" if present else "Belum ada"])
        for key, message in (data.get("peringatan") or {}).items():
            rows.append([c.register_no, "Catatan isian", labels.get(key, key), _value(message)])
        for key, value in data.items():
            if key not in ("isian", "kelengkapan", "peringatan", "kurang"):
                rows.append([c.register_no, "Lainnya", key, _value(value)])
    return Sheet("Isian permohonan", "Isian formulir dan daftar kelengkapan setiap permohonan.",
                 ("No. register", "Bagian", "Isian", "Nilai"), rows)


def _steps(found: _Found) -> Sheet:
    by_id = {c.id: c for c in found.cases}
    runs = found.session.scalars(select(StepRun).where(StepRun.case_id.in_(list(by_id)))
                                 .order_by(StepRun.case_id, StepRun.available_at, StepRun.id)) if by_id else []
    rows = []
    for r in runs:
        case = by_id[r.case_id]
        doc = found.docs[case.revision_id]
        step = doc.langkah[r.step_no - 1] if 0 < r.step_no <= len(doc.langkah) else None
        rows.append([case.register_no, r.step_no, step.kegiatan if step else "—",
                     doc.actors[step.pelaksana].label if step else "—", r.attempt, fmt.waktu(r.available_at),
                     fmt.waktu(r.started_at), fmt.waktu(r.completed_at),
                     _who(found, r.actor_id) if r.completed_at or r.started_at else "—", r.outcome or "—",
                     r.note or ""])
    return Sheet("Langkah permohonan", "Setiap langkah SOP yang dijalankan pada permohonan itu.",
                 ("No. register", "Langkah", "Kegiatan", "Pelaksana", "Ke-", "Tersedia", "Mulai", "Selesai",
                  "Oleh", "Hasil", "Catatan"), rows)


def _history(found: _Found) -> Sheet:
    objects = {("case", str(c.id)): f"Permohonan {c.register_no}" for c in found.cases}
    objects |= {("peserta_kohort", str(p.id)): f"Peserta {k.nama}" for p, k in found.participants}
    rows = []
    if objects:
        conds = [and_(WorkflowHistory.object_type == t, WorkflowHistory.object_id.in_(
            [i for tt, i in objects if tt == t])) for t in {t for t, _ in objects}]
        for h in found.session.scalars(select(WorkflowHistory).where(or_(*conds))
                                       .order_by(WorkflowHistory.at, WorkflowHistory.id)):
            rows.append([objects[(h.object_type, h.object_id)],
                         workflow.state_label(h.object_type, h.from_state) if h.from_state else "—",
                         workflow.state_label(h.object_type, h.to_state), fmt.waktu(h.at),
                         _who(found, h.actor_id), h.comment or ""])
    return Sheet("Riwayat status", "Perubahan status permohonan dan keikutsertaan kohort.",
                 ("Objek", "Dari", "Ke", "Waktu", "Oleh", "Komentar"), rows)


def _comments(found: _Found) -> Sheet:
    by_id = {c.id: c for c in found.cases}
    rows = []
    if by_id:
        s = found.session
        for m in s.scalars(select(CaseComment).where(CaseComment.case_id.in_(list(by_id)))):
            rows.append((m.at, [by_id[m.case_id].register_no, "Komentar", fmt.waktu(m.at), _who(found, m.author_id),
                                m.text]))
        for a in s.scalars(select(CaseAttachment).where(CaseAttachment.case_id.in_(list(by_id)))):
            rows.append((a.at, [by_id[a.case_id].register_no, "Lampiran", fmt.waktu(a.at),
                                _who(found, a.uploaded_by), f"{a.filename} ({a.mime}, {fmt.angka(a.size)} bita)"]))
    return Sheet("Komentar & lampiran", "Komentar pada permohonan dan nama berkas lampirannya (isi berkas tetap "
                                        "tersimpan di portal).",
                 ("No. register", "Jenis", "Waktu", "Oleh", "Isi"), [r for _, r in sorted(rows, key=lambda x: x[0])])


# --- pekerja rentan -----------------------------------------------------------------------------------------
def _reference(found: _Found) -> Sheet:
    rows = [[r.sumber, r.periode, r.nik, r.nama, _date(r.tanggal_lahir), _SEX.get(r.jenis_kelamin or "", "—"),
             r.alamat or "—", _desa(found, r.desa_kode), r.berkas or "—", fmt.waktu(r.imported_at),
             _who(found, r.imported_by)] for r in found.reference]
    return Sheet("Data referensi", "Baris data referensi DTKS/P3KE/DTSEN yang diimpor ke portal.",
                 ("Sumber", "Periode", "NIK", "Nama", "Tanggal lahir", "Jenis kelamin", "Alamat", "Desa/Kelurahan",
                  "Berkas", "Diimpor", "Diimpor oleh"), rows)


def _candidates(found: _Found) -> Sheet:
    rows = [[_desa(found, c.desa_kode), c.nik, c.nama, _date(c.tanggal_lahir), _SEX.get(c.jenis_kelamin or "", "—"),
             c.alamat or "—", STATUS_LABELS.get(c.status_validasi, c.status_validasi) if c.status_validasi else "—",
             found.batches[c.batch_id].filename if c.batch_id in found.batches else "—", fmt.waktu(c.created_at),
             _who(found, c.created_by)] for c in found.candidates]
    return Sheet("Calon penerima", "Daftar sementara calon penerima manfaat pekerja rentan per desa/kelurahan.",
                 ("Desa/Kelurahan", "NIK", "Nama", "Tanggal lahir", "Jenis kelamin", "Alamat", "Status validasi",
                  "Berkas validasi terakhir", "Masuk daftar", "Oleh"), rows)


def _rows(found: _Found) -> Sheet:
    rows = [[b.filename, _desa(found, b.desa_kode), r.excel_row, r.nik, r.nama, _date(r.tanggal_lahir),
             _SEX.get(r.jenis_kelamin or "", "—"), r.alamat or "—", STATUS_LABELS.get(r.status, r.status),
             r.keterangan or "", ", ".join(r.warnings or [])] for r, b in found.rows]
    return Sheet("Baris validasi", "Baris berkas validasi desa/kelurahan yang memuat NIK ini, pada nomor baris "
                                   "Excel-nya.",
                 ("Berkas", "Desa/Kelurahan", "Baris", "NIK", "Nama", "Tanggal lahir", "Jenis kelamin", "Alamat",
                  "Status", "Keterangan", "Catatan pemeriksaan"), rows)


def _uploads(found: _Found) -> Sheet:
    rows = [[b.filename, _desa(found, b.desa_kode), fmt.waktu(b.uploaded_at), _who(found, b.uploaded_by),
             workflow.state_label("validasi_batch", b.state), b.rows_total, b.rows_imported]
            for b in found.batches.values()]
    return Sheet("Unggahan validasi", "Berkas validasi yang menyebut orang ini: nama berkas, desa, kapan dan "
                                      "oleh siapa diunggah.",
                 ("Berkas", "Desa/Kelurahan", "Diunggah", "Oleh", "Status", "Baris berkas", "Baris disimpan"), rows)


def _participants(found: _Found) -> Sheet:
    rows = [[k.nama, _desa(found, p.desa_kode), p.nik, p.nama, workflow.state_label("peserta_kohort", p.state),
             BPJS_STATUS.get(p.bpjs_status, p.bpjs_status), p.bpjs_keterangan or "",
             "Ya" if p.pengganti_untuk else "Tidak", fmt.waktu(p.added_at), _who(found, p.added_by)]
            for p, k in found.participants]
    return Sheet("Peserta kohort", "Keikutsertaan dalam kohort pekerja rentan (iuran JKK dan JKM dibayar daerah).",
                 ("Kohort", "Desa/Kelurahan", "NIK", "Nama", "Status", "Cek BPJS", "Keterangan BPJS",
                  "Pengganti peserta lain", "Masuk daftar", "Oleh"), rows)


def _bpjs(found: _Found) -> Sheet:
    ids = {p.cek_id for p, _ in found.participants if p.cek_id}
    checks = {c.id: c for c in found.session.scalars(select(BpjsCek).where(BpjsCek.id.in_(ids)))} if ids else {}
    rows = [[k.nama, checks[p.cek_id].filename, fmt.waktu(checks[p.cek_id].imported_at),
             _who(found, checks[p.cek_id].imported_by), BPJS_STATUS.get(p.bpjs_status, p.bpjs_status),
             p.bpjs_keterangan or ""] for p, k in found.participants if p.cek_id in checks]
    return Sheet("Jawaban BPJS", "Jawaban BPJS Ketenagakerjaan tentang kepesertaan orang ini.",
                 ("Kohort", "Berkas jawaban", "Diimpor", "Oleh", "Hasil", "Keterangan"), rows)


# --- the audit log ------------------------------------------------------------------------------------------
def _access(found: _Found) -> Sheet:
    """Full views, searches and exports concerning the person (module docstring: how each is matched)."""
    held = {("case", str(c.id)): f"berkas {c.register_no}" for c in found.cases}
    held |= {("calon_penerima", str(c.id)): "daftar calon" for c in found.candidates}
    held |= {("peserta_kohort", str(p.id)): f"daftar peserta {k.nama}" for p, k in found.participants}
    held |= {("referensi_rentan", str(r.id)): "data referensi" for r in found.reference}
    held |= {("validasi_baris", str(r.id)): f"berkas validasi {b.filename}" for r, b in found.rows}
    lists: dict[tuple[str, str], tuple[dt.datetime, str]] = {}  # exported list -> (on it since, what it is)
    for c in found.cases:
        lists.setdefault(("register", c.sop_id), (c.created_at, "Buku Register layanan permohonannya"))
        lists.setdefault(("sop", c.sop_id), (c.created_at, "daftar langkah terlambat layanan permohonannya"))
        lists.setdefault(("case", str(c.id)), (c.created_at, f"dokumen berkas {c.register_no} (surat, tanda terima, "
                                                            "kartu)"))
    for c in found.candidates:
        lists.setdefault(("desa", c.desa_kode), (c.created_at, f"daftar validasi {_desa(found, c.desa_kode)}"))
    for p, k in found.participants:
        lists.setdefault(("kohort", str(k.id)), (p.added_at, f"daftar kohort {k.nama}"))
    conds = [and_(AuditEntry.object_type == nik_rules.AUDIT_OBJECT, AuditEntry.object_id == found.fingerprint)]
    for kind in {t for t, _ in held}:
        conds.append(and_(AuditEntry.action == "lihat_nik", AuditEntry.object_type == kind,
                          AuditEntry.object_id.in_([i for t, i in held if t == kind])))
    for kind in {t for t, _ in lists}:
        conds.append(and_(AuditEntry.action == "ekspor", AuditEntry.object_type == kind,
                          AuditEntry.object_id.in_([i for t, i in lists if t == kind])))
    rows = []
    for e in found.session.scalars(select(AuditEntry).where(or_(*conds)).order_by(AuditEntry.at, AuditEntry.id)):
        key = (e.object_type, e.object_id)
        if e.object_type == nik_rules.AUDIT_OBJECT:
            link = {"cari_nik": "Pencarian berkas menurut NIK ini",
                    "ekspor_data_pribadi": "Unduhan data pribadi NIK ini"}.get(e.action, "NIK ini")
        elif e.action == "lihat_nik":
            link = f"NIK lengkap ditampilkan pada {held[key]}"
        elif e.at >= lists[key][0]:
            link = f"Unduhan {lists[key][1]} sesudah ia tercantum; mungkin memuat datanya"
        else:
            continue
        rows.append([fmt.waktu(e.at), found.users.get(e.user_id, e.username or "—") if e.user_id else
                     (e.username or "sistem"), audit.ACTIONS.get(e.action, e.action), link, e.detail or ""])
    return Sheet("Akses NIK", "Siapa melihat NIK lengkapnya, mencari menurut NIK-nya atau mengunduh daftar yang "
                              "memuatnya, dan kapan (dari log audit).",
                 ("Waktu", "Pengguna", "Aksi", "Kaitan", "Keterangan log"), rows)


# --- the workbook -------------------------------------------------------------------------------------------
def _workbook(nik: str, now: dt.datetime, actor: Actor, sheets: list[Sheet]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    ws.cell(row=1, column=1, value=TITLE).font = Font(bold=True, size=12)
    about = [("NIK yang dicari", nik), ("Waktu pencarian", fmt.waktu(now)),
             ("Dicari oleh", f"{actor.name} ({actor.username})" if actor.username else actor.name),
             ("Jumlah baris", sum(len(s.rows) for s in sheets))]
    for i, (label, value) in enumerate(about, start=3):
        ws.cell(row=i, column=1, value=label).font = Font(bold=True)
        ws.cell(row=i, column=2, value=safe_cell(value))
    start = 4 + len(about)
    write_table(ws, ["Lembar", "Isi", "Jumlah baris", "Keterangan"],
                [[s.name, s.isi, len(s.rows), "" if s.rows else NO_DATA] for s in sheets], [24, 70, 14, 18],
                start_row=start)
    ws.cell(row=start + len(sheets) + 2, column=1,
            value="Lampiran berkas permohonan tidak disertakan; lembar “Komentar & lampiran” menyebut namanya.")
    for s in sheets:
        sheet = wb.create_sheet(s.name)
        sheet.cell(row=1, column=1, value=s.isi).font = Font(bold=True)
        sheet.cell(row=2, column=1, value=f"{len(s.rows)} baris" if s.rows else NO_DATA.capitalize() + ".")
        widths = [max(10, min(45, max([len(h) + 2] + [len(str(r[j])) + 2 for r in s.rows[:200]])))
                  for j, h in enumerate(s.headers)]
        write_table(sheet, list(s.headers), s.rows, widths, start_row=4)
    return to_bytes(wb)
