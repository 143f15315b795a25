"""The documents of a case, each offered on the case page from the step where its SOP produces it:

* *Tanda terima berkas* — from intake: the register number, the kelengkapan brought, and a QR code to the public
  status page;
* *Surat pengembalian berkas* — while the file is back with the applicant: the kelengkapan still missing;
* *Kartu AK/I* — AK1 files, from step 3 (input data dan proses cetak AK1);
* *Surat rekomendasi paspor* — passport recommendation files, from step 4 (membuat rekomendasi paspor).

Who may open the case may make its documents; a document with the full NIK needs ``view_nik_full`` (the view is
logged as every full-NIK view). Each download is logged; a letter takes its number from the agenda register once.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import Case, User, utcnow
from lib.base.worktime import WIB
from lib.casework import case_detail, nik, status
from lib.casework.cases import CaseError
from lib.catalogue import model as catalog
from lib.dokumen import agenda, templat
from lib.dokumen.templat import DocSpec

AK1, PASPOR = "kartu-ak1", "rekomendasi-paspor"
#: document -> (the SOP it belongs to, or None for every SOP; the first step whose reaching offers it)
_FROM_STEP = {"tanda_terima": (None, 1), "kartu_ak1": (AK1, 3), "rekomendasi_paspor": (PASPOR, 4)}


def common(sop: catalog.SOP, today: dt.date) -> dict:
    """The kop surat, the date and the signature of a letter from the SOP's identity block."""
    pemerintah = (sop.pemerintah or "").removeprefix("Pemerintah ").strip()
    kota = pemerintah.removeprefix("Kota ").removeprefix("Kabupaten ").strip()
    signer = sop.disahkan_oleh
    return {"pemerintah": pemerintah, "instansi": sop.instansi or "", "kota": kota, "tanggal": fmt.tanggal(today),
            "ttd_jabatan": signer.jabatan if signer else "Kepala Dinas",
            "ttd_nama": (signer.nama or "") if signer else "", "ttd_pangkat": (signer.pangkat or "") if signer else "",
            "ttd_nip": (signer.nip or "") if signer else ""}


def status_url(base: str, register_no: str) -> str:
    return status.url(base, register_no)


def _reached(d: case_detail.CaseDetail) -> int:
    return max((row["Langkah"] for row in d.timeline), default=0)


def offered(d: case_detail.CaseDetail) -> list[DocSpec]:
    """The documents the case page offers now, in the order the SOP produces them."""
    out = []
    for kode, (sop_id, step) in _FROM_STEP.items():
        if (sop_id is None or d.sop.id == sop_id) and _reached(d) >= step:
            out.append(templat.DOCUMENTS[kode])
        if kode == "tanda_terima" and d.state == "dikembalikan":
            out.append(templat.DOCUMENTS["pengembalian"])
    return out


def file_name(kode: str, register_no: str) -> str:
    return f"{kode}-{register_no.replace('/', '-')}.docx"


def make(session: Session, actor, case_id: int, kode: str, base_url: str = "",
         now: dt.datetime | None = None) -> tuple[str, bytes]:
    """The document ``kode`` of a case as (file name, DOCX bytes); the download is logged."""
    now = now or utcnow()
    d = case_detail.detail(session, actor, case_id, now=now)
    if kode not in {s.kode for s in offered(d)}:
        raise CaseError(f"{templat.spec(kode).judul} belum dapat dibuat untuk berkas {d.register_no} pada "
                        "langkahnya sekarang.")
    today = now.astimezone(WIB).date()
    ctx = {**common(d.sop, today), "nomor_register": d.register_no, "layanan": d.sop.nama}
    builder = {"tanda_terima": _receipt, "pengembalian": _return_letter, "kartu_ak1": _card,
               "rekomendasi_paspor": _passport}[kode]
    ctx.update(builder(session, actor, d, today, now, base_url))
    data = templat.render(session, kode, ctx)
    audit.record(session, actor, "ekspor", "case", d.id,
                 f"{templat.spec(kode).judul} {d.register_no}" + (f", nomor {ctx['nomor_surat']}"
                                                                 if "nomor_surat" in ctx else ""))
    return file_name(kode, d.register_no), data


def _receipt(session, actor, d, today, now, base_url) -> dict:
    brought = d.data.get("kelengkapan") or {}
    labels = {x.kode: x.label for x in d.sop.kelengkapan}
    items = [{"no": i, "nama": labels.get(k, k), "ada": "Ada" if v else "Belum ada"}
             for i, (k, v) in enumerate(brought.items(), start=1)]
    url = status_url(base_url or "", d.register_no)
    return {"nama_pemohon": d.applicant_name or "—", "nik_samar": nik.mask(d.nik),
            "waktu_terima": fmt.waktu(d.created_at), "petugas": _creator(session, d),
            "kelengkapan": items, "tautan_status": url, "qr": url}


def _creator(session, d) -> str:
    case = session.get(Case, d.id)
    user = session.get(User, case.created_by) if case.created_by else None
    return user.name if user else "—"


def _letter(session, actor, d, kode: str, perihal: str, tujuan: str, ref: str, now) -> dict:
    s = templat.spec(kode)
    letter = agenda.issue(session, actor, kode, s.klasifikasi or "000", d.sop.bidang or "umum", perihal, tujuan,
                          "case", d.id, ref=ref, now=now)
    return {"nomor_surat": letter.nomor, "lampiran": "-", "tembusan": ["Kepala Dinas (sebagai laporan)", "Arsip"]}


def _return_letter(session, actor, d, today, now, base_url) -> dict:
    attempt = max((s.attempt for s in d.open_steps), default=1)
    notes = [row["Catatan"] for row in d.timeline if row["Hasil"] not in ("—", "selesai") and row["Catatan"]]
    missing = list(d.data.get("kurang") or [])
    return {**_letter(session, actor, d, "pengembalian", f"Pengembalian berkas {d.register_no}",
                      d.applicant_name or "Pemohon", f"kembali-{attempt}", now),
            "nama_pemohon": d.applicant_name or "—", "tanggal_masuk": fmt.tanggal(d.created_at.astimezone(WIB).date()),
            "kekurangan": missing or ["(lihat catatan)"], "catatan": notes[-1] if notes else ""}


def _full_nik(session, actor, d) -> str:
    return nik.display(session, actor, d.nik, "case", d.id, full=True, scope=d.sop.scope) if d.nik else "—"


def _date(value) -> str:
    return fmt.tanggal(dt.date.fromisoformat(value)) if value else "—"


def _card(session, actor, d, today, now, base_url) -> dict:
    v = d.data.get("isian") or {}
    until = today.replace(year=today.year + 2) if not (today.month == 2 and today.day == 29) \
        else dt.date(today.year + 2, 2, 28)
    return {"nama": d.applicant_name or v.get("nama") or "—", "nik": _full_nik(session, actor, d),
            "tanggal_lahir": _date(v.get("tanggal_lahir")), "jenis_kelamin": v.get("jenis_kelamin") or "—",
            "pendidikan": v.get("pendidikan") or "—", "alamat": v.get("alamat") or "—", "no_hp": v.get("no_hp") or "—",
            "berlaku_sampai": fmt.tanggal(until)}


def _passport(session, actor, d, today, now, base_url) -> dict:
    v = d.data.get("isian") or {}
    return {**_letter(session, actor, d, "rekomendasi_paspor", f"Rekomendasi paspor {d.applicant_name or ''}".strip(),
                      "Kepala Kantor Imigrasi", "", now),
            "nama": d.applicant_name or "—", "nik": _full_nik(session, actor, d),
            "tanggal_lahir": _date(v.get("tanggal_lahir")), "negara_tujuan": v.get("negara_tujuan") or "—",
            "perusahaan_penempatan": v.get("perusahaan_penempatan") or "—"}
