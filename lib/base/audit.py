"""The audit log: append-only and sealed. This module has no update or delete path; the database refuses
UPDATE and DELETE on the table (migration 0002), and REPLACE (SQLite) and TRUNCATE (PostgreSQL) too (migration
0008); every entry is sealed into a hash chain (:mod:`lib.base.audit_chain`) that ``python -m lib audit verify``
checks.

Recorded: logins, failed logins, logouts, every write, every full-NIK view, every export of personal
data, with who, when, which object and a short detail.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit_chain, fmt
from lib.base.db import AuditEntry, utcnow
from lib.base.permissions import Actor, require
from lib.base.worktime import WIB

#: action code -> Indonesian label (the viewer's filter shows these).
ACTIONS: dict[str, str] = {
    "masuk": "Masuk",
    "gagal_masuk": "Gagal masuk",
    "keluar": "Keluar",
    "akun_terkunci": "Akun terkunci",  # entries from before login throttling replaced the lock-out
    "akhiri_sesi": "Akhiri sesi pengguna",
    "akhiri_sesi_pengguna": "Akhiri semua sesi pengguna",
    "tambah_pengguna": "Tambah pengguna",
    "ubah_pengguna": "Ubah pengguna",
    "nonaktifkan_pengguna": "Nonaktifkan pengguna",
    "aktifkan_pengguna": "Aktifkan pengguna",
    "atur_kata_sandi": "Atur ulang kata sandi",
    "ganti_kata_sandi": "Ganti kata sandi sendiri",
    "atur_peran": "Atur peran",
    "lihat_nik": "Lihat NIK lengkap",
    "ekspor": "Ekspor data",
    "ekspor_data_pribadi": "Ekspor data pribadi satu orang atas permintaannya",
    "ubah_pengaturan": "Ubah pengaturan",
    "muat_katalog": "Muat katalog SOP dari berkas",
    "buka_permohonan": "Buka permohonan",
    "mulai_langkah": "Mulai langkah",
    "selesai_langkah": "Selesaikan langkah",
    "impor_log": "Impor log langkah",
    "tambah_komentar": "Tambah komentar pada berkas",
    "tambah_lampiran": "Tambah lampiran pada berkas",
    "cari_nik": "Cari berkas menurut NIK",
    "impor_skm": "Impor kuesioner SKM kertas",
    "buka_evaluasi": "Buka evaluasi triwulan",
    "ubah_evaluasi": "Ubah draf evaluasi triwulan",
    "ajukan_evaluasi": "Ajukan evaluasi triwulan",
    "setujui_evaluasi": "Setujui evaluasi triwulan",
    "kembalikan_evaluasi": "Kembalikan evaluasi triwulan",
    "simpan_revisi_sop": "Simpan revisi SOP (draf)",
    "ajukan_revisi_sop": "Ajukan revisi SOP",
    "sahkan_revisi_sop": "Sahkan revisi SOP",
    "kembalikan_revisi_sop": "Kembalikan revisi SOP",
    "cabut_sop": "Nyatakan SOP tidak berlaku",
    "impor_referensi": "Impor data referensi DTKS/P3KE/DTSEN",
    "susun_calon": "Susun daftar calon penerima",
    "impor_validasi": "Terima berkas validasi desa",
    "buat_kohort": "Buat kohort pekerja rentan",
    "verifikasi_calon": "Verifikasi daftar calon (Kabid)",
    "kirim_surat_desa": "Catat surat konfirmasi ke desa",
    "catat_jawaban_desa": "Catat jawaban surat desa",
    "susun_peserta": "Susun daftar peserta kohort",
    "atur_kuota": "Atur kuota peserta desa",
    "impor_cek_bpjs": "Impor hasil cek BPJS Ketenagakerjaan",
    "tetapkan_sk": "Tetapkan SK peserta kohort",
    "ganti_revisi_sop": "Revisi SOP diganti revisi yang lebih baru",
    "tambah_desa_kohort": "Desa masuk kohort pekerja rentan",
    "ganti_peserta": "Ganti peserta kohort dari cadangan desa",
    "kembalikan_berkas": "Kembalikan berkas ke pemohon",
    "lanjutkan_berkas": "Berkas dilengkapi pemohon",
    "selesaikan_berkas": "Berkas selesai",
    "ganti_templat": "Ganti templat dokumen",
    "beri_nomor_surat": "Beri nomor surat (agenda surat keluar)",
    "tunjuk_plh": "Tunjuk Pelaksana Harian (Plh)",
    "akhiri_plh": "Akhiri Pelaksana Harian (Plh) lebih awal",
    "eskalasi_langkah": "Eskalasi langkah terlambat ke atasan",
    "alihkan_langkah": "Alihkan langkah ke petugas lain",
    "cek_status_gagal": "Cek status berkas: nomor register dan NIK tidak cocok",
    "minta_atur_ulang_sandi": "Minta tautan atur ulang kata sandi (Lupa kata sandi)",
    "atur_ulang_sandi_surel": "Atur ulang kata sandi lewat tautan surel",
    "tautan_sandi_ditolak": "Tautan atur ulang kata sandi ditolak",
    "kirim_ringkasan": "Kirim ringkasan pekerjaan lewat surel",
    "kirim_kabar_pemohon": "Kirim kabar status berkas ke pemohon lewat surel",
    "atur_ringkasan": "Ubah langganan ringkasan surel",
}


#: Entries that record someone coming, going, reading or being refused, and change no data the portal's figures are
#: computed from: a cache keyed by the newest audit entry (:func:`lib.measure.kpi.data_version`) skips them, so a
#: reload (a login from the session cookie) or an export does not make the dashboard start from scratch.
ACCESS_ONLY: frozenset[str] = frozenset({
    "masuk", "gagal_masuk", "keluar", "akun_terkunci", "akhiri_sesi", "akhiri_sesi_pengguna", "lihat_nik", "ekspor",
    "ekspor_data_pribadi", "cari_nik", "cek_status_gagal", "minta_atur_ulang_sandi", "tautan_sandi_ditolak",
    "kirim_ringkasan", "kirim_kabar_pemohon"})


def record(session: Session, actor: Actor | None, action: str, object_type: str | None = None,
           object_id: str | int | None = None, detail: str | None = None, username: str | None = None) -> None:
    """Append one entry. ``username`` names the subject when there is no actor (e.g. a failed login)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown audit action {action!r}")
    entry = AuditEntry(at=utcnow(), user_id=actor.user_id if actor else None,
                       username=(actor.username if actor and actor.username else username),
                       action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id),
                       detail=(_as_plh(actor, detail) or "")[:2000] or None)
    audit_chain.seal(session, entry)
    session.add(entry)


def _as_plh(actor: Actor | None, detail: str | None) -> str | None:
    """An action taken as Plh says so in its entry: "<detail> (Plh. <jabatan>, <deputy> a.n. <delegator>)"."""
    if actor is None or not actor.capacity:
        return detail
    return f"{detail} ({actor.capacity})" if detail else actor.capacity


def default_period(now: dt.datetime | None = None, days: int = 30) -> tuple[dt.date, dt.date]:
    """The viewer's default dates: the last ``days`` days up to today, as days in WIB (the agency's calendar,
    not the server's clock: at 17:30 UTC it is already tomorrow in WIB)."""
    today = (now or utcnow()).astimezone(WIB).date()
    return today - dt.timedelta(days=days), today


@dataclass(frozen=True)
class AuditFilter:
    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _wib_day_start(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), tzinfo=WIB).astimezone(dt.timezone.utc)


def search(session: Session, actor: Actor, flt: AuditFilter = AuditFilter(), limit: int = 5000) -> list[AuditEntry]:
    """Entries matching the filter, newest first (dates are WIB calendar days, both ends included)."""
    require(actor, "view_audit_log")
    q = select(AuditEntry)
    if flt.username:
        q = q.where(AuditEntry.username == flt.username)
    if flt.action:
        q = q.where(AuditEntry.action == flt.action)
    if flt.object_type:
        q = q.where(AuditEntry.object_type == flt.object_type)
    if flt.object_id:
        q = q.where(AuditEntry.object_id == flt.object_id)
    if flt.date_from:
        q = q.where(AuditEntry.at >= _wib_day_start(flt.date_from))
    if flt.date_to:
        q = q.where(AuditEntry.at < _wib_day_start(flt.date_to + dt.timedelta(days=1)))
    return list(session.scalars(q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))


def rows(entries: list[AuditEntry]) -> list[dict]:
    """Entries as display rows (times in WIB, actions in Indonesian)."""
    return [{"Waktu": fmt.waktu(e.at), "Pengguna": e.username or "—", "Aksi": ACTIONS.get(e.action, e.action),
             "Objek": f"{e.object_type}:{e.object_id}" if e.object_type else "—", "Keterangan": e.detail or ""}
            for e in entries]


def export_xlsx(session: Session, actor: Actor, flt: AuditFilter = AuditFilter()) -> bytes:
    """The filtered log as XLSX; the export itself is recorded."""
    from openpyxl import Workbook  # loaded here: the CLI and most pages never export

    from lib.base.sheets import safe_cell, to_bytes

    require(actor, "export_audit_log")
    entries = search(session, actor, flt, limit=1_000_000)
    wb = Workbook()
    ws = wb.active
    ws.title = "Log audit"
    header = ["Waktu (WIB)", "Pengguna", "Aksi", "Jenis objek", "ID objek", "Keterangan"]
    ws.append(header)
    for e in entries:
        ws.append([e.at.astimezone(WIB).replace(tzinfo=None), e.username, ACTIONS.get(e.action, e.action),
                   e.object_type, e.object_id, safe_cell(e.detail)])
    for col, width in zip("ABCDEF", (20, 16, 22, 14, 20, 60)):
        ws.column_dimensions[col].width = width
    for cell in ws["A"][1:]:
        cell.number_format = "dd/mm/yyyy hh:mm:ss"
    data = to_bytes(wb)
    record(session, actor, "ekspor", "audit_log", None, f"{len(entries)} baris; filter: {_describe(flt)}")
    return data


def _describe(flt: AuditFilter) -> str:
    parts = [f"{k}={v}" for k, v in flt.__dict__.items() if v]
    return ", ".join(parts) or "semua"
