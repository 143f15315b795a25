"""The documents of a pekerja rentan cohort, on the cohort page:

* *Surat permintaan konfirmasi desa* — one per desa whose provisional list the Kepala Bidang verified, with the
  list attached and the answer's deadline: 5 working days on the working calendar after the letter's date (the
  date recorded when the letter was sent, otherwise today);
* *Lampiran SK* — the cohort's participants, by kecamatan and desa.

Both carry full NIKs: they are made by the cohort's staff holding ``export_personal_data`` and every download is
logged. A letter takes its number from the agenda register once per desa and cohort.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import KohortDesa, utcnow
from lib.base.permissions import Actor, require
from lib.base.worktime import WIB
from lib.catalogue import store
from lib.dokumen import agenda, templat
from lib.dokumen.berkas import common
from lib.rentan import desa as rentan
from lib.rentan import kohort, tahap
from lib.rentan.bpjs import wilayah
from lib.rentan.kohort import BIDANG_SCOPE, KohortError


def _require(actor: Actor) -> None:
    kohort.require_staff(actor)
    require(actor, "export_personal_data", BIDANG_SCOPE)


def _sop(session: Session):
    active = store.active_documents(session).get(tahap.SOP_ID)
    if active is None:
        raise KohortError("SOP pekerja rentan tidak berlaku; surat tidak dapat dibuat.")
    return active.doc


def letter_ready(d: kohort.DesaStatus) -> bool:
    """Whether the desa's confirmation letter can be made: its list is verified and unchanged since."""
    return bool(d.diverifikasi and not d.berubah)


def _agenda_letter(session: Session, actor: Actor, k, d: kohort.DesaStatus, bidang: str | None,
                   now: dt.datetime):
    return agenda.issue(session, actor, "konfirmasi_desa", templat.spec("konfirmasi_desa").klasifikasi,
                        bidang or "umum", f"Konfirmasi daftar calon pekerja rentan {d.nama} ({k.nama})",
                        f"Kepala Desa/Lurah {d.nama}", "kohort_desa", f"{k.id}:{d.kode}", now=now)


def agenda_numbers(session: Session, kohort_id: int, desa_kodes: list[str]) -> dict[str, str]:
    """The letter numbers the agenda already gave to the confirmation letters of these desa."""
    found = {kode: agenda.given(session, "konfirmasi_desa", "kohort_desa", f"{kohort_id}:{kode}")
             for kode in desa_kodes}
    return {kode: letter.nomor for kode, letter in found.items() if letter is not None}


def send_letters(session: Session, actor: Actor, kohort_id: int, desa_kodes: list[str], nomor: str,
                 tanggal: dt.date, now: dt.datetime | None = None) -> list[KohortDesa]:
    """Record the confirmation letters sent (``kohort.send_letter``). With no number typed, each desa's letter
    takes its number from the agenda register: the one its printed letter carries, or a new one given now."""
    kohort.require_staff(actor)
    numbers: dict[str, str] = {}
    if not (nomor or "").strip() and desa_kodes:
        status = {d.kode: d for d in kohort.desa_status(session, actor, kohort_id)}
        k, bidang = kohort.get(session, kohort_id), _sop(session).bidang
        for kode in desa_kodes:
            d = status.get(kode)
            if d is not None and letter_ready(d):
                numbers[kode] = _agenda_letter(session, actor, k, d, bidang, now or utcnow()).nomor
    return kohort.send_letter(session, actor, kohort_id, desa_kodes, nomor, tanggal, nomor_desa=numbers)


def confirmation_letter(session: Session, actor: Actor, kohort_id: int, desa_kode: str,
                        now: dt.datetime | None = None) -> tuple[str, bytes]:
    """The confirmation letter to one desa, with its provisional list attached, as (file name, DOCX)."""
    _require(actor)
    now = now or utcnow()
    k = kohort.get(session, kohort_id)
    status = {d.kode: d for d in kohort.desa_status(session, actor, kohort_id)}
    d = status.get(desa_kode)
    if d is None or not letter_ready(d):
        raise KohortError("Daftar calon desa ini belum diverifikasi Kepala Bidang (atau berubah sejak "
                          "diverifikasi); surat belum dapat dibuat.")
    sent = d.surat_tanggal or now.astimezone(WIB).date()
    batas = d.batas if d.surat_tanggal and d.batas else kohort.letter_deadline(session, sent)
    people = rentan.candidates(session, actor, desa_kode)
    sop = _sop(session)
    letter = _agenda_letter(session, actor, k, d, sop.bidang, now)
    ctx = {**common(sop, sent), "nomor_surat": letter.nomor, "lampiran": "1 berkas",
           "tembusan": ["Camat " + d.kecamatan, "Arsip"], "desa": d.nama, "kecamatan": d.kecamatan,
           "kohort": k.nama, "jumlah": len(people), "batas_jawaban": fmt.tanggal(batas),
           "hari_kerja": kohort.LETTER_WORKING_DAYS,
           "calon": [{"no": i, "nik": c.nik, "nama": c.nama, "alamat": c.alamat or "—"}
                     for i, c in enumerate(people, start=1)]}
    data = templat.render(session, "konfirmasi_desa", ctx)
    audit.record(session, actor, "ekspor", "desa", desa_kode,
                 f"surat konfirmasi {letter.nomor} ke {d.nama}: {len(people)} calon (NIK lengkap)")
    return f"surat-konfirmasi-{desa_kode}-kohort-{k.id}.docx", data


def sk_attachment(session: Session, actor: Actor, kohort_id: int, now: dt.datetime | None = None
                  ) -> tuple[str, bytes]:
    """The SK attachment (or its draft before the SK is set) as (file name, DOCX)."""
    _require(actor)
    now = now or utcnow()
    k = kohort.get(session, kohort_id)
    wil = wilayah(session)
    people = sorted(kohort.participants(session, actor, kohort_id),
                    key=lambda p: (wil[p.desa_kode][1], wil[p.desa_kode][0], p.nama))
    if not people:
        raise KohortError("Kohort belum memiliki peserta.")
    sop = _sop(session)
    sk = (f"SK NOMOR {k.nomor_sk} TANGGAL {fmt.tanggal(k.tanggal_sk).upper()}" if k.nomor_sk else "RANCANGAN SK")
    ctx = {**common(sop, k.tanggal_sk or now.astimezone(WIB).date()), "sk": sk, "kohort": k.nama,
           "jumlah": len(people),
           "peserta": [{"no": i, "nik": p.nik, "nama": p.nama, "desa": wil[p.desa_kode][0],
                        "kecamatan": wil[p.desa_kode][1]} for i, p in enumerate(people, start=1)]}
    data = templat.render(session, "lampiran_sk", ctx)
    audit.record(session, actor, "ekspor", "kohort", k.id, f"lampiran SK (DOCX): {len(people)} peserta "
                                                                 "(NIK lengkap)")
    return f"lampiran-sk-kohort-{k.id}.docx", data
