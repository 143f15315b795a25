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
from lib.base.db import utcnow
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
    letter = agenda.issue(session, actor, "konfirmasi_desa", templat.spec("konfirmasi_desa").klasifikasi,
                          sop.bidang or "umum", f"Konfirmasi daftar calon pekerja rentan {d.nama} ({k.nama})",
                          f"Kepala Desa/Lurah {d.nama}", "kohort_desa", f"{kohort_id}:{desa_kode}", now=now)
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
