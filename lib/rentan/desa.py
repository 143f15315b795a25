"""Pekerja rentan (SOP pekerja-rentan, seed 000: the stages up to ``pemutakhiran_calon``): the regency's kecamatan and
desa, the DTKS/P3KE/DTSEN reference rows, the provisional candidate list per desa, and the villages' validation batches.

* :func:`load_wilayah` — kecamatan and desa/kelurahan from a CSV under ``data/reference`` (the demo
  regency in ``wilayah_demo.csv``); :func:`seed_demo` adds demo reference rows and a candidate list.
* :func:`import_reference` — a DTKS/P3KE/DTSEN extract (XLSX/CSV); every row keeps its source and period.
* :func:`build_candidates` — the Daftar Sementara Calon Penerima Manfaat of a desa from the reference rows.
* :func:`template` — the validation spreadsheet of a desa (:func:`lib.rentan.validasi.template_workbook`).
* :func:`check_upload` / :func:`accept` — a village's file read and judged without writing anything, then
  imported on "Terima" in the caller's one transaction. The same file again for the same desa (same
  SHA-256) is recognised and changes nothing.

A desa operator acts on their own desa only: every function taking a desa calls
``require(actor, "upload_validation", "desa:<kode>")`` (or ``manage_candidates``) itself. Imports and
exports are recorded in the audit log.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lib.base import audit, workflow
from lib.base import rows as rows_reader
from lib.base.db import (
    ROOT,
    CalonPenerima,
    Desa,
    Kecamatan,
    Kohort,
    KohortDesa,
    ReferensiRentan,
    ValidasiBaris,
    ValidasiBatch,
    utcnow,
)
from lib.base.permissions import Actor, PermissionDenied, has_permission, require, scopes_for
from lib.base.worktime import to_wib
from lib.casework import nik as nik_rules
from lib.rentan import alur, validasi
from lib.rentan.alur import BIDANG_SCOPE, RentanError  # noqa: F401  (part of this module's interface)
from lib.rentan.upload import gc_paused

WILAYAH_DEMO = ROOT / "data" / "reference" / "wilayah_demo.csv"
SOURCES = ("DTKS", "P3KE", "DTSEN")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: The bidang that owns SOP ``pekerja-rentan``: its Kepala Bidang and staff hold ``manage_candidates`` here.
#: Rows one reference extract may hold.
MAX_REFERENCE_ROWS = 200_000


def scope_of(kode: str) -> str:
    """The local-role scope of a desa (``desa:<kode>``)."""
    return alur.desa_scope(kode)


# --- wilayah ------------------------------------------------------------------------------------------
def load_wilayah(session: Session, path: Path | str = WILAYAH_DEMO) -> int:
    """Add the kecamatan and desa of ``path`` that are missing; returns how many desa were added."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    known_kec = set(session.scalars(select(Kecamatan.kode)))
    known_desa = set(session.scalars(select(Desa.kode)))
    added = 0
    for r in rows:
        if r["kecamatan_kode"] not in known_kec:
            session.add(Kecamatan(kode=r["kecamatan_kode"], nama=r["kecamatan"]))
            known_kec.add(r["kecamatan_kode"])
            session.flush()
        if r["desa_kode"] not in known_desa:
            session.add(Desa(kode=r["desa_kode"], nama=r["desa"], jenis=r.get("jenis") or "desa",
                             kecamatan_kode=r["kecamatan_kode"], kode_wilayah=r.get("kode_wilayah") or None))
            known_desa.add(r["desa_kode"])
            added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class DesaInfo:
    kode: str
    nama: str
    jenis: str
    kecamatan: str
    candidates: int

    @property
    def label(self) -> str:
        return f"{'Kelurahan' if self.jenis == 'kelurahan' else 'Desa'} {self.nama}, Kec. {self.kecamatan}"


def desa_for_upload(session: Session, actor: Actor) -> list[DesaInfo]:
    """The desa ``actor`` may send validation files for: all for staf, their own for an operator."""
    scopes = scopes_for(actor, "upload_validation")
    q = (select(Desa, Kecamatan.nama, func.count(CalonPenerima.id))
         .join(Kecamatan, Desa.kecamatan_kode == Kecamatan.kode)
         .outerjoin(CalonPenerima, CalonPenerima.desa_kode == Desa.kode)
         .group_by(Desa.kode, Desa.nama, Desa.jenis, Desa.kecamatan_kode, Desa.kode_wilayah, Kecamatan.nama)
         .order_by(Kecamatan.nama, Desa.nama))
    if scopes is not None:
        kodes = [s.removeprefix("desa:") for s in scopes if s.startswith("desa:")]
        q = q.where(Desa.kode.in_(kodes))
    return [DesaInfo(d.kode, d.nama, d.jenis, kec, n) for d, kec, n in session.execute(q)]


def get_desa(session: Session, kode: str) -> Desa:
    desa = session.get(Desa, kode)
    if desa is None:
        raise RentanError(f"Desa/kelurahan “{kode}” tidak ada dalam referensi wilayah.")
    return desa


def _label(session: Session, desa: Desa) -> str:
    kec = session.get(Kecamatan, desa.kecamatan_kode)
    return f"{'Kelurahan' if desa.jenis == 'kelurahan' else 'Desa'} {desa.nama}, Kec. {kec.nama if kec else '-'}"


# --- reference data (DTKS / P3KE / DTSEN) -------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceImport:
    added: int
    already: int
    skipped: list[str]           # Indonesian messages: row number and reason
    unknown_desa: int


_REF_FIELDS = {"nik": ("nik", "no nik", "nik ktp", "nomor induk kependudukan"),
               "nama": ("nama", "nama lengkap", "nama art", "nama penerima"),
               "tanggal_lahir": ("tanggal lahir", "tgl lahir", "tgl. lahir"),
               "jenis_kelamin": ("jenis kelamin", "jk", "l/p"),
               "alamat": ("alamat", "alamat lengkap"),
               "desa": ("desa", "kelurahan", "desa/kelurahan", "desa / kelurahan", "nama desa", "kode desa")}


def normalise(text) -> str:
    return re.sub(r"\s+", " ", str(text or "").strip().lower().replace(".", ". ")).replace(". ", ".").strip()


def sheet_rows(data: bytes, filename: str, max_rows: int = MAX_REFERENCE_ROWS) -> list:
    """The rows of a registry extract or a BPJS answer (first worksheet of an XLSX/XLS/ODS, or a CSV), read by
    :func:`lib.base.rows.read_book`: ``rows[i]`` is Excel row ``i + 1``."""
    try:
        book = rows_reader.read_book(data, filename, max_rows=max_rows + validasi.HEADER_SCAN,
                                     first_sheet_only=True, score=_separator_score)
    except rows_reader.TooManyRows:
        raise RentanError(str(rows_reader.too_many(max_rows))) from None
    except rows_reader.BookRefused as err:
        raise RentanError(str(err)) from None
    return book.sheets[0].rows


def _separator_score(rows: list) -> int:
    """How many reference columns the first lines name, split by one CSV separator."""
    return max((sum(any(normalise(c) in aliases for c in row) for aliases in _REF_FIELDS.values())
                for row in rows), default=0)


def _header(rows: list[list]) -> tuple[int, dict[str, int]]:
    for i, row in enumerate(rows[:validasi.HEADER_SCAN]):
        found: dict[str, int] = {}
        for j, cell in enumerate(row):
            name = normalise(cell)
            for field, aliases in _REF_FIELDS.items():
                if field not in found and name in aliases:
                    found[field] = j
        if "nik" in found and "nama" in found:
            return i, found
    raise RentanError("Baris judul kolom tidak ditemukan: berkas referensi harus punya kolom NIK dan Nama "
                      "(juga Desa/Kelurahan untuk menyusun daftar per desa).")


def _too_long(label: str, raw, text: str | None, limit: int) -> str | None:
    """The row's error when ``text`` (from the cell ``raw``) is longer than its column allows (never cut
    silently), else None."""
    length = max(getattr(raw, "length", 0), len(text or ""))
    return f"{label} {length} karakter, lebih dari batas {limit}; perbaiki lalu impor lagi." if length > limit else None


def import_reference(session: Session, actor: Actor, data: bytes, filename: str, sumber: str,
                     periode: str) -> ReferenceImport:
    """Import a DTKS/P3KE/DTSEN extract. Rows with an unusable NIK are skipped and listed; a NIK already
    present for the same source and period is left as it is. Desa are matched by slug or by name."""
    require(actor, "manage_candidates", BIDANG_SCOPE)
    sumber = sumber.strip().upper()
    if sumber not in SOURCES:
        raise RentanError(f"Sumber data harus salah satu dari {', '.join(SOURCES)}.")
    if not _PERIOD.match(periode or ""):
        raise RentanError("Periode data ditulis TTTT-BB, misalnya 2026-09.")
    rows = sheet_rows(data, filename)
    h, cols = _header(rows)
    body = rows[h + 1:]
    if sum(1 for row in body if row) > MAX_REFERENCE_ROWS:
        raise RentanError(f"Berkas memuat lebih dari {MAX_REFERENCE_ROWS:,} baris.".replace(",", "."))
    desa_by = {}
    for d in session.scalars(select(Desa)):
        desa_by[d.kode] = d.kode
        desa_by[normalise(d.nama)] = d.kode
        if d.kode_wilayah:
            desa_by[d.kode_wilayah] = d.kode
    existing = set(session.scalars(select(ReferensiRentan.nik).where(ReferensiRentan.sumber == sumber,
                                                                      ReferensiRentan.periode == periode)))
    added = already = unknown = 0
    skipped: list[str] = []
    now = utcnow()

    def cell(row, field):
        j = cols.get(field)
        return row[j] if j is not None and j < len(row) else None

    for offset, row in enumerate(body):
        excel_row = h + 2 + offset
        raw = cell(row, "nik")
        if raw in (None, "") and cell(row, "nama") in (None, ""):
            continue
        checked = nik_rules.check(raw, number_cell=isinstance(raw, float))
        nama = re.sub(r"\s+", " ", str(cell(row, "nama") or "")).strip()
        alamat = cell(row, "alamat")
        alamat = str(alamat).strip() if alamat not in (None, "") else None
        reason = checked.errors[0][1] if checked.errors else "Nama kosong." if not nama else \
            _too_long("Nama", cell(row, "nama"), nama, 200) or _too_long("Alamat", cell(row, "alamat"), alamat, 300)
        if reason:
            skipped.append(f"Baris {excel_row}: {reason}")
            continue
        if checked.nik in existing:
            already += 1
            continue
        existing.add(checked.nik)
        desa_raw = cell(row, "desa")
        desa_kode = desa_by.get(normalise(desa_raw)) or desa_by.get(str(desa_raw or "").strip())
        if desa_raw not in (None, "") and desa_kode is None:
            unknown += 1
        session.add(ReferensiRentan(
            sumber=sumber, periode=periode, nik=checked.nik, nama=nama,
            tanggal_lahir=validasi.parse_date(cell(row, "tanggal_lahir")),
            jenis_kelamin=validasi.parse_sex(cell(row, "jenis_kelamin")),
            alamat=alamat, desa_kode=desa_kode, berkas=filename[:200], imported_by=actor.user_id, imported_at=now))
        added += 1
    session.flush()
    audit.record(session, actor, "impor_referensi", "referensi_rentan", f"{sumber}:{periode}",
                 f"{filename}: {added} baris baru, {already} sudah ada, {len(skipped)} dilewati")
    return ReferenceImport(added, already, skipped, unknown)


# --- candidate lists ----------------------------------------------------------------------------------
def build_candidates(session: Session, actor: Actor, desa_kode: str) -> int:
    """Add to the desa's provisional list every person of the reference data living there who is not on it
    yet (the newest period's row for a NIK). Returns how many were added."""
    require(actor, "manage_candidates", BIDANG_SCOPE)
    get_desa(session, desa_kode)
    on_list = set(session.scalars(select(CalonPenerima.nik).where(CalonPenerima.desa_kode == desa_kode)))
    refs = session.scalars(select(ReferensiRentan).where(ReferensiRentan.desa_kode == desa_kode)
                           .order_by(ReferensiRentan.periode.desc(), ReferensiRentan.id)).all()
    added = 0
    for r in refs:
        if r.nik in on_list:
            continue
        on_list.add(r.nik)
        session.add(CalonPenerima(desa_kode=desa_kode, nik=r.nik, nama=r.nama, tanggal_lahir=r.tanggal_lahir,
                                  jenis_kelamin=r.jenis_kelamin, alamat=r.alamat, referensi_id=r.id,
                                  created_by=actor.user_id, created_at=utcnow()))
        added += 1
    session.flush()
    audit.record(session, actor, "susun_calon", "desa", desa_kode, f"{added} calon ditambahkan dari data referensi")
    return added


def candidates(session: Session, actor: Actor, desa_kode: str) -> list[CalonPenerima]:
    """The desa's provisional list (personal data: the caller shows NIK masked)."""
    _require_desa(actor, desa_kode)
    return list(session.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == desa_kode)
                                .order_by(CalonPenerima.nama, CalonPenerima.id)))


def _require_desa(actor: Actor, desa_kode: str) -> None:
    if not (has_permission(actor, "manage_candidates", BIDANG_SCOPE) or has_permission(actor, "upload_validation",
                                                                         scope_of(desa_kode))):
        raise PermissionDenied(actor, "upload_validation", scope_of(desa_kode))


def template(session: Session, actor: Actor, desa_kode: str, today: dt.date | None = None) -> bytes:
    """The validation spreadsheet for the desa with its candidates; the export is recorded."""
    require(actor, "upload_validation", scope_of(desa_kode))
    desa = get_desa(session, desa_kode)
    rows = [{"nik": c.nik, "nama": c.nama, "tanggal_lahir": c.tanggal_lahir, "jenis_kelamin": c.jenis_kelamin,
             "alamat": c.alamat, "status": c.status_validasi}
            for c in candidates(session, actor, desa_kode)]
    data = validasi.template_workbook(_label(session, desa), rows, today=today)
    audit.record(session, actor, "ekspor", "desa", desa_kode, f"templat validasi: {len(rows)} calon")
    return data


# --- validation batches -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Checked:
    """A village file read and judged; nothing written. ``previous`` is the batch of the same file already
    accepted for this desa, if any."""
    desa_kode: str
    upload: validasi.Upload
    validation: validasi.Validation
    previous: ValidasiBatch | None


def check_upload(session: Session, actor: Actor, desa_kode: str, data: bytes, filename: str) -> Checked:
    """Read and validate a file for the desa (raises :class:`lib.rentan.validasi.UploadError` for a bad file)."""
    require(actor, "upload_validation", scope_of(desa_kode))
    get_desa(session, desa_kode)
    upload = validasi.read_upload(data, filename)
    reference = set(session.scalars(select(CalonPenerima.nik).where(CalonPenerima.desa_kode == desa_kode)))
    reference |= set(session.scalars(select(ReferensiRentan.nik).where(ReferensiRentan.desa_kode == desa_kode)))
    validation = validasi.validate(upload, reference)
    return Checked(desa_kode, upload, validation, _previous(session, desa_kode, upload.sha256))


def _previous(session: Session, desa_kode: str, sha256: str) -> ValidasiBatch | None:
    return session.scalars(select(ValidasiBatch).where(ValidasiBatch.desa_kode == desa_kode,
                                                       ValidasiBatch.sha256 == sha256)).first()


@dataclass(frozen=True)
class Accepted:
    batch_id: int
    imported: int
    already: bool        # the same file had been accepted before: nothing changed
    updated_candidates: int
    letters_answered: int = 0   # confirmation letters this file answered (lib.rentan.kohort, stage jawaban_desa)


_BUSY = ("Berkas lain sedang diterima pada saat yang sama dan berkas ini belum disimpan. Tekan Terima sekali lagi "
         "sebentar lagi; berkas yang sama tidak akan tersimpan dua kali.")


def accept(session: Session, actor: Actor, checked: Checked) -> Accepted:
    """Import the valid rows of a checked file ("Terima") in the caller's transaction: a batch, its rows, and
    the village's status on the matching candidates. The same file again changes nothing."""
    desa_kode = checked.desa_kode
    require(actor, "upload_validation", scope_of(desa_kode))
    get_desa(session, desa_kode)
    upload, validation = checked.upload, checked.validation
    previous = _previous(session, desa_kode, upload.sha256)
    if previous is not None:
        return Accepted(previous.id, previous.rows_imported, True, 0)
    if not validation.valid_rows:
        raise RentanError("Tidak ada baris yang sah untuk diterima. Perbaiki berkas lalu unggah kembali.")
    now = utcnow()
    batch = ValidasiBatch(desa_kode=desa_kode, filename=upload.filename[:200], sha256=upload.sha256,
                          uploaded_by=actor.user_id, uploaded_at=now,
                          rows_total=validation.summary.rows, rows_imported=len(validation.valid_rows),
                          rows_invalid=validation.summary.invalid)
    try:
        with session.begin_nested():
            workflow.create(session, actor, batch, "terima", now=now,
                            comment=f"{upload.filename}: {len(validation.valid_rows)} baris diterima",
                            detail=f"{desa_kode} · {upload.filename} · {len(validation.valid_rows)} baris "
                                   f"diterima, {validation.summary.invalid} tidak sah · sha256 {upload.sha256[:12]}")
    except IntegrityError:  # the same file accepted a moment ago by another request (PostgreSQL waited for it)
        previous = _previous(session, desa_kode, upload.sha256)
        if previous is not None:
            return Accepted(previous.id, previous.rows_imported, True, 0)
        raise RentanError(_BUSY) from None
    except OperationalError:  # SQLite: another request is writing the same database; nothing was written
        raise RentanError(_BUSY) from None
    _insert_rows(session, batch.id, validation.valid_rows)
    by_nik = {c.nik: c for c in session.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == desa_kode))}
    updated = 0
    for r in validation.valid_rows:
        cand = by_nik.get(r.nik)
        if cand is not None:
            cand.status_validasi, cand.batch_id = r.status, batch.id
            updated += 1
    answered = _answer_letters(session, actor, desa_kode, batch.id, upload.filename)
    session.flush()
    return Accepted(batch.id, len(validation.valid_rows), False, updated, answered)


def _insert_rows(session: Session, batch_id: int, rows) -> None:
    """The valid rows into ``validasi_baris`` with one executemany of the driver, in the session's transaction.

    The values go as the column types would write them (a date as ISO text on SQLite, where SQLAlchemy's Date
    stores that; the warnings as JSON text), in plain tuples: SQLAlchemy's per-row parameter building and type
    processing took longer than the database's own insert of a 100,000-row village file (bench/RESULTS.md)."""
    conn = session.connection()
    iso = conn.dialect.name == "sqlite"
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ("batch_id", "excel_row", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat", "status",
               "keterangan", "warnings")
    sql = (f"INSERT INTO {ValidasiBaris.__tablename__} ({', '.join(columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    as_json: dict[tuple, str] = {}  # a few combinations of warning codes, each dumped once
    with gc_paused():  # 100,000 new tuples would set off full collections over the file's rows (upload.py)
        conn.exec_driver_sql(sql, [
            (batch_id, r.excel_row, r.nik, r.nama,
             r.tanggal_lahir.isoformat() if iso and r.tanggal_lahir is not None else r.tanggal_lahir,
             r.jenis_kelamin, r.alamat or None, r.status, r.keterangan,
             as_json.get(r.warnings) or as_json.setdefault(r.warnings, json.dumps(list(r.warnings))))
            for r in rows])


def _answer_letters(session: Session, actor: Actor, desa_kode: str, batch_id: int, filename: str) -> int:
    """An accepted file is the desa's answer (stage ``jawaban_desa``) to a confirmation letter still waiting for one."""
    today = to_wib(utcnow()).date()
    n = 0
    waiting = session.scalars(select(KohortDesa).join(Kohort, KohortDesa.kohort_id == Kohort.id)
                              .where(KohortDesa.desa_kode == desa_kode, Kohort.state == "disusun",
                                     KohortDesa.surat_tanggal.is_not(None), KohortDesa.jawaban_tanggal.is_(None))).all()
    for row in waiting:
        row.jawaban_tanggal, row.batch_id = today, batch_id
        row.jawaban_catatan = f"Berkas validasi {filename}"[:500]
        workflow.transition(session, actor, row, "jawaban_berkas",
                            comment=f"Jawaban melalui berkas validasi {filename}",
                            detail=f"jawaban surat {today:%Y-%m-%d} melalui berkas validasi {filename}")
        n += 1
    return n


def error_report(session: Session, actor: Actor, checked: Checked) -> bytes:
    """The village's file back with the reasons (:func:`lib.rentan.validasi.error_report`); the export is recorded."""
    require(actor, "upload_validation", scope_of(checked.desa_kode))
    data = validasi.error_report(checked.upload, checked.validation)
    audit.record(session, actor, "ekspor", "desa", checked.desa_kode,
                 f"laporan kesalahan validasi: {checked.upload.filename}")
    return data


def batches(session: Session, actor: Actor, desa_kode: str) -> list[ValidasiBatch]:
    _require_desa(actor, desa_kode)
    return list(session.scalars(select(ValidasiBatch).where(ValidasiBatch.desa_kode == desa_kode)
                                .order_by(ValidasiBatch.uploaded_at.desc(), ValidasiBatch.id.desc())))


# --- demo data ----------------------------------------------------------------------------------------
_DEMO_NAMES = ("Suparmi", "Wagiman", "Sri Lestari", "Joko Susilo", "Tukiyem", "Slamet Riyadi", "Parni",
               "Bambang Hartono", "Sutarni", "Mulyono", "Wartini", "Sugeng Raharjo")
_DEMO_DISTRICT = {"karang-dalo": "01", "jatiharjo": "01", "jatisobo": "01", "kaling": "11", "ngijo": "11",
                  "bejen": "14", "cangakan": "14"}


def demo_nik(desa_index: int, n: int) -> tuple[str, dt.date, str]:
    """A deterministic valid NIK of the demo regency (33 13), its birth date and sex."""
    born = dt.date(1960 + (desa_index * 7 + n * 3) % 40, 1 + (n * 5) % 12, 1 + (n * 7 + desa_index) % 28)
    sex = "L" if n % 2 else "P"  # the demo names alternate: Suparmi, Wagiman, ...
    day = born.day + (40 if sex == "P" else 0)
    return f"3313{list(_DEMO_DISTRICT.values())[desa_index]}{day:02d}{born:%m%y}{desa_index * 100 + n + 1:04d}", \
        born, sex


def seed_demo(session: Session) -> bool:
    """Demo wilayah, a DTKS extract and the provisional lists of Karang Dalo and Jatiharjo, once (cheap)."""
    if session.scalars(select(Desa.kode).limit(1)).first() is not None:
        return False
    load_wilayah(session)
    now = utcnow()
    for i, kode in enumerate(_DEMO_DISTRICT):
        for n, nama in enumerate(_DEMO_NAMES[:8 if kode == "karang-dalo" else 4]):
            nik, born, sex = demo_nik(i, n)
            ref = ReferensiRentan(sumber="DTKS", periode="2026-09", nik=nik, nama=nama, tanggal_lahir=born,
                                  jenis_kelamin=sex, alamat=f"RT 0{n % 5 + 1}/RW 0{n % 3 + 1}", desa_kode=kode,
                                  berkas="demo", imported_at=now)
            session.add(ref)
            if kode in ("karang-dalo", "jatiharjo"):
                session.flush()
                session.add(CalonPenerima(desa_kode=kode, nik=nik, nama=nama, tanggal_lahir=born,
                                          jenis_kelamin=sex, alamat=ref.alamat, referensi_id=ref.id,
                                          created_at=now))
    session.flush()
    return True
