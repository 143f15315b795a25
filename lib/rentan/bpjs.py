"""The BPJS check of a pekerja rentan cohort (stages ``cek_bpjs``, ``hasil_bpjs``, ``penggantian``; the agency's rules:
:mod:`lib.rentan.kohort`).

:func:`bpjs_export` is the list of participants sent to BPJS Ketenagakerjaan, :func:`bpjs_import` reads its
answer: a person already covered by another programme is replaced by the first of the same desa's reserve.
Nobody is deleted: the replaced row stays, marked ``diganti``, and the replacement points back to it
(:func:`replacements`). :func:`wilayah` names every desa and its kecamatan for the sheets.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit, workflow
from lib.base import rows as rows_reader
from lib.base.db import BpjsCek, CalonPenerima, Desa, Kecamatan, PesertaKohort, utcnow
from lib.base.permissions import Actor, require
from lib.base.sheets import records_workbook
from lib.rentan import desa as rentan
from lib.rentan import kohort
from lib.rentan.kohort import BIDANG_SCOPE, KohortError

BPJS_STATUS = {"belum_dicek": "Belum dicek", "belum_terdaftar": "Belum terdaftar (layak)",
               "terdaftar_lain": "Sudah terdaftar di program lain"}
_BPJS_HEADERS = ("No", "NIK", "Nama", "Tanggal Lahir", "Desa/Kelurahan", "Kecamatan", "Hasil Cek BPJS",
                 "Program Lain")
_COVERED = {"terdaftar", "sudah terdaftar", "sudah terdaftar program lain", "terdaftar program lain", "aktif",
            "sudah aktif", "terdaftar lain", "ya"}
_NOT_COVERED = {"belum terdaftar", "tidak terdaftar", "belum", "tidak", "tidak aktif", "layak"}


def wilayah(session: Session) -> dict[str, tuple[str, str]]:
    """Every desa's code → (its name, its kecamatan's name)."""
    return {d.kode: (d.nama, kec) for d, kec in session.execute(
        select(Desa, Kecamatan.nama).join(Kecamatan, Desa.kecamatan_kode == Kecamatan.kode))}


def bpjs_export(session: Session, actor: Actor, kohort_id: int) -> bytes:
    """The participants not checked yet, for BPJS Ketenagakerjaan to fill "Hasil Cek BPJS"."""
    kohort.require_staff(actor)
    require(actor, "export_personal_data", BIDANG_SCOPE)
    k = kohort.get(session, kohort_id)
    wil = wilayah(session)
    born = dict(session.execute(select(CalonPenerima.id, CalonPenerima.tanggal_lahir)).all())
    rows = [p for p in kohort.participants(session, actor, kohort_id) if p.bpjs_status == "belum_dicek"]
    if not rows:
        raise KohortError("Tidak ada peserta yang menunggu pengecekan BPJS.")
    data = [{"No": i, "NIK": p.nik, "Nama": p.nama, "Tanggal Lahir": born.get(p.calon_id),
             "Desa/Kelurahan": wil[p.desa_kode][0], "Kecamatan": wil[p.desa_kode][1], "Hasil Cek BPJS": "",
             "Program Lain": ""} for i, p in enumerate(rows, 1)]
    out = records_workbook([("Cek BPJS", f"Pengecekan kepesertaan BPJS Ketenagakerjaan — {k.nama}",
                             "Isi kolom Hasil Cek BPJS dengan “Belum Terdaftar” atau “Sudah Terdaftar”; bila sudah "
                             "terdaftar, tulis programnya di kolom Program Lain.", list(_BPJS_HEADERS), data)])
    audit.record(session, actor, "ekspor", "kohort", k.id, f"daftar cek BPJS: {len(rows)} peserta")
    return out


@dataclass(frozen=True)
class BpjsResult:
    cek_id: int | None
    already: bool                # the same file had been imported: nothing changed
    cocok: int                   # rows matched to a participant
    belum_terdaftar: int
    terdaftar_lain: int
    diganti: list[tuple[str, str | None]]   # (replaced name, replacement name or None)
    tidak_dikenal: list[str]     # Indonesian messages: row and reason


def _bpjs_rows(data: bytes, filename: str) -> tuple[int, list[tuple[int, str, str, str]]]:
    rows = rentan.sheet_rows(data, filename)
    for h, row in enumerate(rows[:30]):
        names = [rentan.normalise(c) for c in row]
        if "nik" in names and any(n.startswith("hasil") or n == "status" for n in names):
            nik_col = names.index("nik")
            status_col = next(j for j, n in enumerate(names) if n.startswith("hasil") or n == "status")
            prog_col = next((j for j, n in enumerate(names) if n.startswith("program")), None)
            break
    else:
        raise KohortError("Berkas jawaban BPJS harus punya kolom NIK dan Hasil Cek BPJS (seperti berkas yang "
                          "diunduh dari halaman ini).")
    out = []
    for offset, row in enumerate(rows[h + 1:]):
        def cell(j):
            return row[j] if j is not None and j < len(row) and row[j] is not None else ""
        nik = re.sub(r"[\s.']", "", str(cell(nik_col)))
        if isinstance(cell(nik_col), float):
            nik = f"{cell(nik_col):.0f}"
        if not nik and not str(cell(status_col)).strip():
            continue
        program = cell(prog_col)
        out.append((h + 2 + offset, nik, rentan.normalise(cell(status_col)),
                    program if isinstance(program, rows_reader.Overlong) else str(program).strip()))
    return h, out


def bpjs_import(session: Session, actor: Actor, kohort_id: int, data: bytes, filename: str) -> BpjsResult:
    """Read BPJS's answer: "Belum Terdaftar" confirms a participant; "Sudah Terdaftar" replaces them with the
    next validated candidate of the same desa who is not on the list yet. The same file again changes
    nothing; a file with no usable row changes nothing either."""
    kohort.require_staff(actor)
    k = kohort.get_open(session, kohort_id)
    sha = hashlib.sha256(data).hexdigest()
    prev = session.scalars(select(BpjsCek).where(BpjsCek.kohort_id == kohort_id, BpjsCek.sha256 == sha)).first()
    if prev is not None:
        return BpjsResult(prev.id, True, prev.cocok, prev.cocok - prev.terdaftar_lain, prev.terdaftar_lain, [], [])
    _, rows = _bpjs_rows(data, filename)
    by_nik = {p.nik: p for p in kohort.participants(session, actor, kohort_id)}
    unknown: list[str] = []
    answers: list[tuple[PesertaKohort, bool, str]] = []
    seen: dict[str, int] = {}       # NIK → the Excel row that answered for it
    for excel_row, nik, status, program in rows:
        p = by_nik.get(nik)
        if p is None:
            tail = nik[-4:] if len(nik) > 4 else ""
            unknown.append(f"Baris {excel_row}: NIK {nik[:6]}…{tail} bukan peserta aktif kohort ini.")
            continue
        if nik in seen:
            unknown.append(f"Baris {excel_row}: NIK {nik[:6]}…{nik[-4:]} sudah ada di baris {seen[nik]}; baris ini "
                           "diabaikan.")
            continue
        seen[nik] = excel_row
        if len(program) > 200:
            unknown.append(f"Baris {excel_row}: kolom Program berisi {getattr(program, 'length', len(program))} "
                           "karakter, lebih dari batas 200; baris ini diabaikan.")
            continue
        if status in _COVERED:
            answers.append((p, True, program))
        elif status in _NOT_COVERED:
            answers.append((p, False, program))
        else:
            unknown.append(f"Baris {excel_row}: hasil cek “{status or '(kosong)'}” tidak dikenal; tulis "
                           "“Belum Terdaftar” atau “Sudah Terdaftar”.")
    if not answers:
        raise KohortError("Tidak ada baris yang cocok dengan peserta kohort ini. " + " ".join(unknown[:5]))
    # Replacements are decided first: the BPJS answer's record is append-only, so it is written once, whole.
    on_list = set(session.scalars(select(PesertaKohort.nik).where(PesertaKohort.kohort_id == kohort_id)))
    swaps: list[tuple[PesertaKohort, str, CalonPenerima | None]] = []
    for p, covered, program in answers:
        if not covered:
            continue
        nxt = session.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode == p.desa_kode,
                                                          CalonPenerima.status_validasi == "valid",
                                                          CalonPenerima.nik.not_in(on_list))
                              .order_by(CalonPenerima.id)).first()
        if nxt is not None:
            on_list.add(nxt.nik)
        swaps.append((p, program, nxt))
    cek = BpjsCek(kohort_id=kohort_id, filename=filename[:200], sha256=sha, imported_by=actor.user_id,
                  imported_at=utcnow(), rows_total=len(rows), cocok=len(answers), terdaftar_lain=len(swaps),
                  diganti=sum(1 for _, _, nxt in swaps if nxt is not None))
    session.add(cek)
    session.flush()
    for p, covered, program in answers:
        p.cek_id, p.bpjs_keterangan = cek.id, program or None
        p.bpjs_status = "terdaftar_lain" if covered else "belum_terdaftar"
    replaced: list[tuple[str, str | None]] = []
    for p, program, nxt in swaps:
        reason = (f"Sudah terdaftar BPJS ({program or 'program lain'}); "
                  + (f"diganti {nxt.nama}" if nxt else "tidak ada calon pengganti di desa ini"))
        workflow.transition(session, actor, p, "ganti", comment=reason, detail=f"{p.nama}: {reason}")
        if nxt is not None:
            workflow.create_many(session, actor, [kohort.new_participant(nxt, kohort_id, actor, replaces=p.id)],
                                 "tambah")
        replaced.append((p.nama, nxt.nama if nxt else None))
    session.flush()
    audit.record(session, actor, "impor_cek_bpjs", "kohort", k.id,
                 f"{filename}: {len(answers)} cocok, {cek.terdaftar_lain} sudah terdaftar, {cek.diganti} diganti, "
                 f"{len(unknown)} baris tidak dikenal · sha256 {sha[:12]}")
    return BpjsResult(cek.id, False, len(answers), len(answers) - cek.terdaftar_lain, cek.terdaftar_lain,
                      replaced, unknown)


def checks(session: Session, kohort_id: int) -> list[BpjsCek]:
    return list(session.scalars(select(BpjsCek).where(BpjsCek.kohort_id == kohort_id).order_by(BpjsCek.id.desc())))


def replacements(session: Session, actor: Actor, kohort_id: int) -> list[tuple[PesertaKohort, PesertaKohort | None]]:
    """Every replaced participant with their replacement (None when the desa had no one left)."""
    rows = kohort.participants(session, actor, kohort_id, with_replaced=True)
    by_replaced = {p.pengganti_untuk: p for p in rows if p.pengganti_untuk}
    return [(p, by_replaced.get(p.id)) for p in rows if p.state == "diganti"]
