"""A pekerja rentan cohort from the villages' answers to the SK and the budget (seed 000, steps 8–24).

The rules of the agency, in the order the SOP runs them:

* **Kabid's verification** (step 8) — :func:`verify_desa`: the Kepala Bidang Jaminan Sosial confirms the
  provisional list of a desa for the cohort; only then may the confirmation letter go out, and only while the
  list still has the size the Kabid verified (a list changed since needs verifying again).
* **Letters** (steps 16–17) — :func:`send_letter` records the letter distributed to a desa; the answer is
  due within :data:`LETTER_WORKING_DAYS` working days of the agency's calendar (:func:`letter_deadline`).
  :func:`record_answer` records the answer; an accepted validation file records it too
  (:func:`lib.rentan.desa.accept`). :func:`desa_status` shows who is overdue.
* **Participants** (step 19) — :func:`take_validated`: the people the villages confirmed as *Valid* join
  the cohort's list in the order of the desa's list, up to the desa's quota when staff set one
  (:func:`set_quota`, its share of the allocation); the Valid candidates beyond it are the desa's reserve.
  A later answer, or a gap left by a replacement, is filled up to the quota (:func:`to_take` says who
  would join now).
* **BPJS check** (steps 20–22) — :func:`bpjs_export` is the list sent to BPJS Ketenagakerjaan,
  :func:`bpjs_import` reads its answer: a person already covered by another programme is replaced by the
  first of the same desa's reserve. Nobody is deleted: the replaced row stays, marked ``diganti``,
  and the replacement points back to it.
* **SK** (step 23) — :func:`set_sk` freezes the list once every participant has been checked, and keeps the
  contribution basis in force that day for the cohort; :func:`sk_workbook` is the SK attachment.
* **Budget** (step 24) — :func:`budget`: JKK (a percentage of the declared income) + JKM per person per
  month (:class:`Iuran`, a setting; Rp16.800 at Rp1.000.000) × the months from the cohort's start to its
  end, per desa, per kecamatan and in total.

Staff act with ``manage_candidates`` and the Kabid verifies with ``verify_candidates``, both on the scope
of the bidang that owns the SOP (:data:`BIDANG_SCOPE`). Exports carrying NIK need
``export_personal_data`` and are logged.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import audit, fmt, kalender
from lib.base.db import (
    BpjsCek,
    CalonPenerima,
    Desa,
    Kecamatan,
    Kohort,
    KohortDesa,
    PesertaKohort,
    ReferensiRentan,
    Setting,
    WorkflowHistory,
    utcnow,
)
from lib.base.errors import UserError
from lib.base.permissions import Actor, require
from lib.base.sheets import records_workbook
from lib.base.worktime import to_wib
from lib.rentan import desa as rentan

#: The bidang that owns SOP ``pekerja-rentan``: its Kepala Bidang verifies, its staff run the cohort.
BIDANG_SCOPE = rentan.BIDANG_SCOPE
#: Working days a desa has to answer the confirmation letter (SOP step 16: "5 Hari").
LETTER_WORKING_DAYS = 5
SUMBER_DANA = ("APBD", "DBHCHT")
IURAN_KEY = "iuran_rentan"
BPJS_STATUS = {"belum_dicek": "Belum dicek", "belum_terdaftar": "Belum terdaftar (layak)",
               "terdaftar_lain": "Sudah terdaftar di program lain"}


class KohortError(UserError):
    """A user error (Indonesian message); nothing was changed."""


def _staff(actor: Actor) -> None:
    require(actor, "manage_candidates", BIDANG_SCOPE)


def today_wib() -> dt.date:
    return to_wib(utcnow()).date()


def _history(session: Session, actor: Actor, kind: str, object_id, old: str | None, new: str, comment: str):
    session.add(WorkflowHistory(object_type=kind, object_id=str(object_id), from_state=old, to_state=new,
                                actor_id=actor.user_id, at=utcnow(), comment=comment[:2000]))


# --- contribution settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Iuran:
    """JKK + JKM of a Bukan Penerima Upah participant: JKK is ``jkk_persen`` % of the declared monthly
    income (``penghasilan``), JKM a fixed amount. Amounts in whole rupiah."""
    penghasilan: int = 1_000_000
    jkk_persen: Decimal = Decimal("1")
    jkm: int = 6_800

    @property
    def jkk(self) -> int:
        return int((Decimal(self.penghasilan) * self.jkk_persen / 100).quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def per_bulan(self) -> int:
        return self.jkk + self.jkm

    def to_dict(self) -> dict:
        return {"penghasilan": self.penghasilan, "jkk_persen": str(self.jkk_persen), "jkm": self.jkm}

    @classmethod
    def from_dict(cls, d: dict) -> "Iuran":
        base = cls()
        return cls(int(d.get("penghasilan", base.penghasilan)), Decimal(str(d.get("jkk_persen", base.jkk_persen))),
                   int(d.get("jkm", base.jkm)))


def iuran(session: Session, kohort_id: int | None = None) -> Iuran:
    """The contribution basis in force, or the one a cohort's SK was set with (kept by :func:`set_sk`)."""
    row = session.get(Setting, _sk_iuran_key(kohort_id)) if kohort_id is not None else None
    row = row or session.get(Setting, IURAN_KEY)
    return Iuran.from_dict(row.value) if row else Iuran()


def _sk_iuran_key(kohort_id: int) -> str:
    return f"{IURAN_KEY}:kohort:{kohort_id}"


def save_iuran(session: Session, actor: Actor, penghasilan: int, jkk_persen: Decimal | float | str,
               jkm: int) -> Iuran:
    """Change the contribution basis (an admin's setting; a cohort with an SK keeps the basis its SK was set
    with, see :func:`set_sk`)."""
    require(actor, "manage_settings")
    try:
        value = Iuran(int(penghasilan), Decimal(str(jkk_persen)), int(jkm))
    except (ArithmeticError, ValueError) as err:
        raise KohortError("Besaran iuran harus berupa angka.") from err
    if value.penghasilan <= 0 or not (0 < value.jkk_persen <= 10) or value.jkm < 0:
        raise KohortError("Penghasilan harus lebih dari 0, persentase JKK antara 0 dan 10, dan JKM tidak negatif.")
    row = session.get(Setting, IURAN_KEY)
    if row is None:
        row = Setting(key=IURAN_KEY, value={})
        session.add(row)
    row.value, row.updated_at, row.updated_by = value.to_dict(), utcnow(), actor.user_id
    audit.record(session, actor, "ubah_pengaturan", "setting", IURAN_KEY,
                 f"penghasilan {value.penghasilan}, JKK {value.jkk_persen}%, JKM {value.jkm}")
    return value


# --- cohorts ------------------------------------------------------------------------------------------
def months(mulai: dt.date, selesai: dt.date) -> int:
    """Months paid from the month of ``mulai`` to the month of ``selesai``, both included."""
    return (selesai.year - mulai.year) * 12 + selesai.month - mulai.month + 1


def create(session: Session, actor: Actor, nama: str, mulai: dt.date, selesai: dt.date, sumber_dana: str) -> Kohort:
    _staff(actor)
    nama = re.sub(r"\s+", " ", nama or "").strip()
    if not nama:
        raise KohortError("Nama kohort wajib diisi, misalnya “Pekerja Rentan 2027”.")
    if sumber_dana not in SUMBER_DANA:
        raise KohortError(f"Sumber dana harus salah satu dari {', '.join(SUMBER_DANA)}.")
    mulai, selesai = mulai.replace(day=1), selesai.replace(day=1)
    if selesai < mulai:
        raise KohortError("Bulan terakhir kepesertaan tidak boleh sebelum bulan pertama.")
    if months(mulai, selesai) > 36:
        raise KohortError("Satu kohort paling lama 36 bulan.")
    if session.scalars(select(Kohort.id).where(Kohort.nama == nama)).first() is not None:
        raise KohortError(f"Kohort “{nama}” sudah ada.")
    k = Kohort(nama=nama[:100], mulai=mulai, selesai=selesai, sumber_dana=sumber_dana, state="disusun",
               created_by=actor.user_id, created_at=utcnow())
    session.add(k)
    session.flush()
    _history(session, actor, "kohort", k.id, None, "disusun", f"Kohort {nama} dibuat")
    audit.record(session, actor, "buat_kohort", "kohort", k.id,
                 f"{nama}: {fmt.bulan_tahun(mulai)} – {fmt.bulan_tahun(selesai)}, {sumber_dana}")
    return k


def all_kohort(session: Session) -> list[Kohort]:
    return list(session.scalars(select(Kohort).order_by(Kohort.mulai.desc(), Kohort.id.desc())))


def get(session: Session, kohort_id: int) -> Kohort:
    k = session.get(Kohort, kohort_id)
    if k is None:
        raise KohortError("Kohort tidak ditemukan.")
    return k


def frozen(k: Kohort) -> bool:
    """The cohort's SK is set: its list, quotas and letters can no longer change."""
    return k.state != "disusun"


def _open(session: Session, kohort_id: int) -> Kohort:
    k = get(session, kohort_id)
    if frozen(k):
        raise KohortError(f"SK kohort {k.nama} sudah ditetapkan; daftarnya tidak dapat diubah lagi.")
    return k


def _kohort_desa(session: Session, kohort_id: int, desa_kode: str, create: bool = True) -> KohortDesa | None:
    row = session.scalars(select(KohortDesa).where(KohortDesa.kohort_id == kohort_id,
                                                   KohortDesa.desa_kode == desa_kode)).first()
    if row is None and create:
        row = KohortDesa(kohort_id=kohort_id, desa_kode=desa_kode)
        session.add(row)
    return row


# --- step 8: the Kabid's verification -----------------------------------------------------------------
def _calon_count(session: Session, desa_kode: str) -> int:
    return session.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.desa_kode == desa_kode)) or 0


def verify_desa(session: Session, actor: Actor, kohort_id: int, desa_kode: str) -> KohortDesa:
    """The Kepala Bidang confirms the desa's provisional list for the cohort (step 8)."""
    require(actor, "verify_candidates", BIDANG_SCOPE)
    k = _open(session, kohort_id)
    desa = rentan._desa(session, desa_kode)
    n = _calon_count(session, desa_kode)
    if not n:
        raise KohortError(f"Daftar calon {desa.nama} masih kosong; susun dulu dari data DTKS/P3KE.")
    row = _kohort_desa(session, kohort_id, desa_kode)
    row.diverifikasi_oleh, row.diverifikasi_pada, row.jumlah_diverifikasi = actor.user_id, utcnow(), n
    session.flush()
    _history(session, actor, "kohort_desa", row.id, None, "diverifikasi", f"{desa.nama}: {n} calon diverifikasi")
    audit.record(session, actor, "verifikasi_calon", "desa", desa_kode, f"{k.nama}: {n} calon diverifikasi Kabid")
    return row


# --- steps 16–17: letters -----------------------------------------------------------------------------
def letter_deadline(session: Session, sent: dt.date, days: int = LETTER_WORKING_DAYS) -> dt.date:
    """The ``days``-th working day after ``sent`` (the day the letter went out does not count)."""
    cal = kalender.load_calendar(session)
    d, left = sent, days
    while left:
        d += dt.timedelta(days=1)
        if cal.is_working_day(d):
            left -= 1
    return d


def send_letter(session: Session, actor: Actor, kohort_id: int, desa_kodes: list[str], nomor: str,
                tanggal: dt.date) -> list[KohortDesa]:
    """Record the confirmation letter distributed to the desa (step 16), with the answer's deadline."""
    _staff(actor)
    k = _open(session, kohort_id)
    nomor = (nomor or "").strip()
    if not nomor:
        raise KohortError("Nomor surat wajib diisi.")
    if not desa_kodes:
        raise KohortError("Pilih sedikitnya satu desa/kelurahan.")
    if tanggal > today_wib():
        raise KohortError("Tanggal surat tidak boleh di masa depan.")
    batas = letter_deadline(session, tanggal)
    out = []
    for kode in desa_kodes:
        desa = rentan._desa(session, kode)
        row = _kohort_desa(session, kohort_id, kode, create=False)
        if row is None or row.diverifikasi_pada is None:
            raise KohortError(f"Daftar calon {desa.nama} belum diverifikasi Kepala Bidang; surat belum dapat dikirim.")
        n = _calon_count(session, kode)
        if n != row.jumlah_diverifikasi:
            raise KohortError(f"Daftar calon {desa.nama} berubah sejak diverifikasi "
                              f"({fmt.angka(row.jumlah_diverifikasi)} menjadi {fmt.angka(n)} orang); minta Kepala "
                              "Bidang memverifikasinya lagi sebelum surat dikirim.")
        row.surat_nomor, row.surat_tanggal, row.surat_batas = nomor[:100], tanggal, batas
        out.append(row)
    session.flush()
    for row in out:
        _history(session, actor, "kohort_desa", row.id, "diverifikasi", "surat_dikirim",
                 f"Surat {nomor} tanggal {tanggal:%Y-%m-%d}; batas jawaban {batas:%Y-%m-%d}")
    audit.record(session, actor, "kirim_surat_desa", "kohort", k.id,
                 f"Surat {nomor} ke {len(out)} desa: {', '.join(desa_kodes)}")
    return out


def record_answer(session: Session, actor: Actor, kohort_id: int, desa_kode: str, tanggal: dt.date,
                  catatan: str = "", batch_id: int | None = None) -> KohortDesa:
    """Record the desa's answer to the letter (step 17)."""
    _staff(actor)
    _open(session, kohort_id)
    desa = rentan._desa(session, desa_kode)
    row = _kohort_desa(session, kohort_id, desa_kode, create=False)
    if row is None or row.surat_tanggal is None:
        raise KohortError(f"Belum ada surat konfirmasi yang tercatat dikirim ke {desa.nama}.")
    if tanggal < row.surat_tanggal or tanggal > today_wib():
        raise KohortError("Tanggal jawaban harus di antara tanggal surat dan hari ini.")
    row.jawaban_tanggal, row.jawaban_catatan = tanggal, (catatan or "").strip() or None
    row.batch_id = batch_id or row.batch_id
    session.flush()
    _history(session, actor, "kohort_desa", row.id, "surat_dikirim", "dijawab", f"Jawaban {tanggal:%Y-%m-%d}")
    audit.record(session, actor, "catat_jawaban_desa", "desa", desa_kode, f"jawaban surat {tanggal:%Y-%m-%d}")
    return row


@dataclass(frozen=True)
class DesaStatus:
    kode: str
    nama: str
    kecamatan: str
    referensi: int                   # people in the DTKS/P3KE/DTSEN rows of this desa
    calon: int
    valid: int                       # candidates the village answered "Valid"
    diverifikasi: dt.datetime | None
    jumlah_diverifikasi: int | None  # the list's size when the Kabid verified it
    surat_nomor: str | None
    surat_tanggal: dt.date | None
    batas: dt.date | None
    jawaban: dt.date | None
    peserta: int                     # active participants in the cohort
    terlambat: bool                  # letter sent, no answer, deadline passed
    kuota: int | None = None         # participants the desa may have (None: every Valid candidate)
    cadangan: int = 0                # Valid candidates not on the cohort's list: the desa's reserve

    @property
    def berubah(self) -> bool:
        """The list grew or shrank after the Kabid verified it, before the letter went out."""
        return bool(self.diverifikasi and not self.surat_tanggal and self.calon != self.jumlah_diverifikasi)

    @property
    def tahap(self) -> str:
        if self.jawaban:
            return "Sudah menjawab"
        if self.surat_tanggal:
            return "Terlambat menjawab" if self.terlambat else "Menunggu jawaban"
        if self.diverifikasi:
            return "Berubah, verifikasi ulang" if self.berubah else "Siap dikirimi surat"
        return "Menunggu verifikasi Kabid" if self.calon else "Belum ada daftar calon"


def desa_status(session: Session, kohort_id: int, today: dt.date | None = None) -> list[DesaStatus]:
    """Every desa of the regency with its progress in the cohort (the letters tracker)."""
    today = today or today_wib()
    calon = dict(session.execute(select(CalonPenerima.desa_kode, func.count()).group_by(CalonPenerima.desa_kode)).all())
    refs = dict(session.execute(select(ReferensiRentan.desa_kode, func.count(func.distinct(ReferensiRentan.nik)))
                                .group_by(ReferensiRentan.desa_kode)).all())
    valid = dict(session.execute(select(CalonPenerima.desa_kode, func.count())
                                 .where(CalonPenerima.status_validasi == "valid")
                                 .group_by(CalonPenerima.desa_kode)).all())
    peserta = dict(session.execute(select(PesertaKohort.desa_kode, func.count())
                                   .where(PesertaKohort.kohort_id == kohort_id, PesertaKohort.state == "aktif")
                                   .group_by(PesertaKohort.desa_kode)).all())
    rows = {r.desa_kode: r for r in session.scalars(select(KohortDesa).where(KohortDesa.kohort_id == kohort_id))}
    listed = (select(PesertaKohort.nik).where(PesertaKohort.kohort_id == kohort_id,
                                              PesertaKohort.desa_kode == CalonPenerima.desa_kode))
    reserve = dict(session.execute(select(CalonPenerima.desa_kode, func.count())
                                   .where(CalonPenerima.status_validasi == "valid", CalonPenerima.nik.not_in(listed))
                                   .group_by(CalonPenerima.desa_kode)).all())
    out = []
    for d, kec in session.execute(select(Desa, Kecamatan.nama).join(Kecamatan, Desa.kecamatan_kode == Kecamatan.kode)
                                  .order_by(Kecamatan.nama, Desa.nama)):
        r = rows.get(d.kode)
        sent = r.surat_tanggal if r else None
        answered = r.jawaban_tanggal if r else None
        batas = r.surat_batas if r else None
        out.append(DesaStatus(d.kode, d.nama, kec, refs.get(d.kode, 0), calon.get(d.kode, 0), valid.get(d.kode, 0),
                              r.diverifikasi_pada if r else None, r.jumlah_diverifikasi if r else None,
                              r.surat_nomor if r else None, sent, batas,
                              answered, peserta.get(d.kode, 0),
                              bool(sent and not answered and batas and today > batas),
                              r.kuota if r else None, reserve.get(d.kode, 0)))
    return out


def overdue(session: Session, kohort_id: int, today: dt.date | None = None) -> list[DesaStatus]:
    return [d for d in desa_status(session, kohort_id, today) if d.terlambat]


# --- step 19: participants ----------------------------------------------------------------------------
def _peserta_from(c: CalonPenerima, kohort_id: int, actor: Actor, replaces: int | None = None) -> PesertaKohort:
    return PesertaKohort(kohort_id=kohort_id, desa_kode=c.desa_kode, calon_id=c.id, nik=c.nik, nama=c.nama,
                         state="aktif", bpjs_status="belum_dicek", pengganti_untuk=replaces,
                         added_by=actor.user_id, added_at=utcnow())


def _answered(session: Session, kohort_id: int) -> set[str]:
    return set(session.scalars(select(KohortDesa.desa_kode).where(KohortDesa.kohort_id == kohort_id,
                                                                  KohortDesa.jawaban_tanggal.is_not(None))))


def to_take(session: Session, kohort_id: int) -> list[CalonPenerima]:
    """The candidates :func:`take_validated` would add now: answered *Valid* in a desa that answered the
    letter, not on the cohort's list yet (in any state), one per NIK, in the order of the desa's list, and
    no more than fill the desa's quota (:func:`set_quota`). Those left over are the desa's reserve."""
    answered = _answered(session, kohort_id)
    if not answered:
        return []
    quota = dict(session.execute(select(KohortDesa.desa_kode, KohortDesa.kuota)
                                 .where(KohortDesa.kohort_id == kohort_id)).all())
    room = {kode: None if quota.get(kode) is None else quota[kode] for kode in answered}
    for kode, n in session.execute(select(PesertaKohort.desa_kode, func.count())
                                   .where(PesertaKohort.kohort_id == kohort_id, PesertaKohort.state == "aktif")
                                   .group_by(PesertaKohort.desa_kode)):
        if room.get(kode) is not None:
            room[kode] -= n
    on_list = set(session.scalars(select(PesertaKohort.nik).where(PesertaKohort.kohort_id == kohort_id)))
    out = []
    for c in session.scalars(select(CalonPenerima).where(CalonPenerima.desa_kode.in_(answered),
                                                         CalonPenerima.status_validasi == "valid")
                             .order_by(CalonPenerima.desa_kode, CalonPenerima.id)):
        if c.nik in on_list or (room[c.desa_kode] is not None and room[c.desa_kode] <= 0):
            continue
        on_list.add(c.nik)
        out.append(c)
        if room[c.desa_kode] is not None:
            room[c.desa_kode] -= 1
    return out


def set_quota(session: Session, actor: Actor, kohort_id: int, desa_kode: str, kuota: int | None) -> KohortDesa:
    """How many participants the desa may have in the cohort (its share of the allocation); ``None`` takes
    every Valid candidate. Valid candidates beyond the quota stay as the desa's reserve, from which people
    BPJS reports as already covered are replaced. A quota below the participants already taken removes no
    one: it only stops new ones."""
    _staff(actor)
    k = _open(session, kohort_id)
    desa = rentan._desa(session, desa_kode)
    if kuota is not None and (kuota < 0 or kuota > 100_000):
        raise KohortError("Kuota harus bilangan bulat 0 sampai 100.000, atau dikosongkan untuk semua calon Valid.")
    row = _kohort_desa(session, kohort_id, desa_kode)
    old = row.kuota
    row.kuota = kuota
    session.flush()
    audit.record(session, actor, "atur_kuota", "desa", desa_kode,
                 f"{k.nama}: kuota {desa.nama} {old if old is not None else 'semua'} → "
                 f"{kuota if kuota is not None else 'semua'}")
    return row


def take_validated(session: Session, actor: Actor, kohort_id: int) -> int:
    """Add to the cohort every candidate a village answered *Valid*, in the desa that answered; returns
    how many joined. People already on the list (in any state) are not added again."""
    _staff(actor)
    k = _open(session, kohort_id)
    if not _answered(session, kohort_id):
        raise KohortError("Belum ada desa yang menjawab surat konfirmasi; belum ada calon yang dapat diambil.")
    people = to_take(session, kohort_id)
    for c in people:
        session.add(_peserta_from(c, kohort_id, actor))
    added = len(people)
    session.flush()
    audit.record(session, actor, "susun_peserta", "kohort", k.id, f"{added} calon tervalidasi masuk daftar peserta")
    return added


def participants(session: Session, kohort_id: int, desa_kode: str | None = None,
                 with_replaced: bool = False) -> list[PesertaKohort]:
    q = select(PesertaKohort).where(PesertaKohort.kohort_id == kohort_id)
    if desa_kode:
        q = q.where(PesertaKohort.desa_kode == desa_kode)
    if not with_replaced:
        q = q.where(PesertaKohort.state == "aktif")
    return list(session.scalars(q.order_by(PesertaKohort.desa_kode, PesertaKohort.id)))


# --- steps 20–22: BPJS check --------------------------------------------------------------------------
_BPJS_HEADERS = ("No", "NIK", "Nama", "Tanggal Lahir", "Desa/Kelurahan", "Kecamatan", "Hasil Cek BPJS",
                 "Program Lain")
_COVERED = {"terdaftar", "sudah terdaftar", "sudah terdaftar program lain", "terdaftar program lain", "aktif",
            "sudah aktif", "terdaftar lain", "ya"}
_NOT_COVERED = {"belum terdaftar", "tidak terdaftar", "belum", "tidak", "tidak aktif", "layak"}


def wilayah(session: Session) -> dict[str, tuple[str, str]]:
    return {d.kode: (d.nama, kec) for d, kec in session.execute(
        select(Desa, Kecamatan.nama).join(Kecamatan, Desa.kecamatan_kode == Kecamatan.kode))}


def bpjs_export(session: Session, actor: Actor, kohort_id: int) -> bytes:
    """The participants not checked yet, for BPJS Ketenagakerjaan to fill "Hasil Cek BPJS"."""
    _staff(actor)
    require(actor, "export_personal_data", BIDANG_SCOPE)
    k = get(session, kohort_id)
    wil = wilayah(session)
    born = dict(session.execute(select(CalonPenerima.id, CalonPenerima.tanggal_lahir)).all())
    rows = [p for p in participants(session, kohort_id) if p.bpjs_status == "belum_dicek"]
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
    rows = rentan._sheet_rows(data, filename)
    for h, row in enumerate(rows[:30]):
        names = [rentan._norm(c) for c in row]
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
        out.append((h + 2 + offset, nik, rentan._norm(cell(status_col)), str(cell(prog_col)).strip()))
    return h, out


def bpjs_import(session: Session, actor: Actor, kohort_id: int, data: bytes, filename: str) -> BpjsResult:
    """Read BPJS's answer: "Belum Terdaftar" confirms a participant; "Sudah Terdaftar" replaces them with the
    next validated candidate of the same desa who is not on the list yet. The same file again changes
    nothing; a file with no usable row changes nothing either."""
    _staff(actor)
    k = _open(session, kohort_id)
    sha = hashlib.sha256(data).hexdigest()
    prev = session.scalars(select(BpjsCek).where(BpjsCek.kohort_id == kohort_id, BpjsCek.sha256 == sha)).first()
    if prev is not None:
        return BpjsResult(prev.id, True, prev.cocok, prev.cocok - prev.terdaftar_lain, prev.terdaftar_lain, [], [])
    _, rows = _bpjs_rows(data, filename)
    by_nik = {p.nik: p for p in participants(session, kohort_id)}
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
        p.cek_id, p.bpjs_keterangan = cek.id, (program or None) and program[:200]
        p.bpjs_status = "terdaftar_lain" if covered else "belum_terdaftar"
    replaced: list[tuple[str, str | None]] = []
    for p, program, nxt in swaps:
        p.state = "diganti"
        if nxt is not None:
            session.add(_peserta_from(nxt, kohort_id, actor, replaces=p.id))
        _history(session, actor, "peserta_kohort", p.id, "aktif", "diganti",
                 f"Sudah terdaftar BPJS ({program or 'program lain'}); "
                 + (f"diganti {nxt.nama}" if nxt else "tidak ada calon pengganti di desa ini"))
        replaced.append((p.nama, nxt.nama if nxt else None))
    session.flush()
    audit.record(session, actor, "impor_cek_bpjs", "kohort", k.id,
                 f"{filename}: {len(answers)} cocok, {cek.terdaftar_lain} sudah terdaftar, {cek.diganti} diganti, "
                 f"{len(unknown)} baris tidak dikenal · sha256 {sha[:12]}")
    return BpjsResult(cek.id, False, len(answers), len(answers) - cek.terdaftar_lain, cek.terdaftar_lain,
                      replaced, unknown)


def checks(session: Session, kohort_id: int) -> list[BpjsCek]:
    return list(session.scalars(select(BpjsCek).where(BpjsCek.kohort_id == kohort_id).order_by(BpjsCek.id.desc())))


def replacements(session: Session, kohort_id: int) -> list[tuple[PesertaKohort, PesertaKohort | None]]:
    """Every replaced participant with their replacement (None when the desa had no one left)."""
    rows = participants(session, kohort_id, with_replaced=True)
    by_replaced = {p.pengganti_untuk: p for p in rows if p.pengganti_untuk}
    return [(p, by_replaced.get(p.id)) for p in rows if p.state == "diganti"]


# --- step 23: SK --------------------------------------------------------------------------------------
def set_sk(session: Session, actor: Actor, kohort_id: int, nomor: str, tanggal: dt.date) -> Kohort:
    """Record the signed SK: the list is frozen. Refused while any participant awaits the BPJS check."""
    _staff(actor)
    k = _open(session, kohort_id)
    nomor = (nomor or "").strip()
    if not nomor:
        raise KohortError("Nomor SK wajib diisi.")
    if tanggal > today_wib():
        raise KohortError("Tanggal SK tidak boleh di masa depan.")
    active = participants(session, kohort_id)
    if not active:
        raise KohortError("Kohort belum memiliki peserta.")
    waiting = sum(1 for p in active if p.bpjs_status == "belum_dicek")
    if waiting:
        raise KohortError(f"{waiting} peserta belum dicek BPJS Ketenagakerjaan; SK ditetapkan setelah semua dicek.")
    k.nomor_sk, k.tanggal_sk, k.state = nomor[:100], tanggal, "sk_ditetapkan"
    # The SK fixes the amounts too: a later change of the basis (save_iuran) leaves this cohort's budget as signed.
    session.add(Setting(key=_sk_iuran_key(k.id), value=iuran(session).to_dict(), updated_at=utcnow(),
                        updated_by=actor.user_id))
    _history(session, actor, "kohort", k.id, "disusun", "sk_ditetapkan", f"SK {nomor} tanggal {tanggal:%Y-%m-%d}")
    audit.record(session, actor, "tetapkan_sk", "kohort", k.id, f"SK {nomor}: {len(active)} peserta")
    return k


# --- step 24: budget ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetRow:
    kecamatan: str
    desa: str | None       # None on a kecamatan total
    peserta: int
    per_bulan: int
    total: int


_BUDGET_HEADERS = ["Kecamatan", "Desa/Kelurahan", "Peserta", "Iuran per orang per bulan (Rp)", "Iuran per bulan (Rp)",
                   "Bulan", "Jumlah (Rp)"]
_MONEY = ("Iuran per orang per bulan (Rp)", "Iuran per bulan (Rp)", "Jumlah (Rp)")


def _budget_record(b: "Budget", kecamatan: str, desa: str | None, peserta: int) -> dict:
    """One line of a budget sheet: Jumlah = Peserta × Iuran per orang per bulan × Bulan."""
    return {"Kecamatan": kecamatan, "Desa/Kelurahan": desa, "Peserta": peserta,
            "Iuran per orang per bulan (Rp)": b.iuran.per_bulan, "Iuran per bulan (Rp)": peserta * b.iuran.per_bulan,
            "Bulan": b.bulan, "Jumlah (Rp)": peserta * b.iuran.per_bulan * b.bulan}


@dataclass(frozen=True)
class Budget:
    iuran: Iuran
    bulan: int
    desa: list[BudgetRow]
    kecamatan: list[BudgetRow]
    peserta: int
    belum_dicek: int        # participants counted but still awaiting the BPJS check
    total: int


def budget(session: Session, kohort_id: int) -> Budget:
    """The contribution of the cohort's active participants: iuran per month × months, per desa, per
    kecamatan and in total (whole rupiah)."""
    k = get(session, kohort_id)
    rate = iuran(session, kohort_id)
    n_months = months(k.mulai, k.selesai)
    wil = wilayah(session)
    per_desa: dict[str, int] = {}
    waiting = 0
    for p in participants(session, kohort_id):
        per_desa[p.desa_kode] = per_desa.get(p.desa_kode, 0) + 1
        waiting += p.bpjs_status == "belum_dicek"
    desa_rows = sorted((BudgetRow(wil[kode][1], wil[kode][0], n, n * rate.per_bulan, n * rate.per_bulan * n_months)
                        for kode, n in per_desa.items()), key=lambda r: (r.kecamatan, r.desa))
    kec: dict[str, int] = {}
    for r in desa_rows:
        kec[r.kecamatan] = kec.get(r.kecamatan, 0) + r.peserta
    kec_rows = [BudgetRow(name, None, n, n * rate.per_bulan, n * rate.per_bulan * n_months)
                for name, n in sorted(kec.items())]
    total_people = sum(per_desa.values())
    return Budget(rate, n_months, desa_rows, kec_rows, total_people, waiting,
                  total_people * rate.per_bulan * n_months)


def budget_workbook(session: Session, actor: Actor, kohort_id: int) -> bytes:
    """The budget per desa and per kecamatan as XLSX (no personal data)."""
    _staff(actor)
    k = get(session, kohort_id)
    b = budget(session, kohort_id)
    rows = [_budget_record(b, r.kecamatan, r.desa, r.peserta) for r in b.desa]
    rows += [_budget_record(b, f"Jumlah Kec. {r.kecamatan}", "", r.peserta) for r in b.kecamatan]
    rows.append(_budget_record(b, "JUMLAH SELURUHNYA", "", b.peserta))
    note = (f"{k.nama}, {fmt.bulan_tahun(k.mulai)} – {fmt.bulan_tahun(k.selesai)} ({b.bulan} bulan), sumber dana "
            f"{k.sumber_dana}. Iuran per orang per bulan: JKK {b.iuran.jkk_persen}% × "
            f"{fmt.rupiah(b.iuran.penghasilan)} "
            f"= {fmt.rupiah(b.iuran.jkk)} + JKM {fmt.rupiah(b.iuran.jkm)} = {fmt.rupiah(b.iuran.per_bulan)}.")
    out = records_workbook([("Anggaran", f"Rencana anggaran iuran JKK+JKM — {k.nama}", note, _BUDGET_HEADERS, rows)],
                           money_columns=_MONEY)
    audit.record(session, actor, "ekspor", "kohort", k.id, f"rencana anggaran: {b.peserta} peserta, Rp{b.total}")
    return out


def sk_workbook(session: Session, actor: Actor, kohort_id: int) -> bytes:
    """The SK attachment: every active participant with full NIK, by kecamatan and desa, numbered."""
    _staff(actor)
    require(actor, "export_personal_data", BIDANG_SCOPE)
    k = get(session, kohort_id)
    wil = wilayah(session)
    cal = {c.id: c for c in session.scalars(select(CalonPenerima).where(CalonPenerima.id.in_(
        select(PesertaKohort.calon_id).where(PesertaKohort.kohort_id == kohort_id))))}
    people = sorted(participants(session, kohort_id), key=lambda p: (wil[p.desa_kode][1], wil[p.desa_kode][0], p.nama))
    if not people:
        raise KohortError("Kohort belum memiliki peserta.")
    rows = [{"No": i, "NIK": p.nik, "Nama": p.nama, "Tanggal Lahir": cal[p.calon_id].tanggal_lahir,
             "Jenis Kelamin": cal[p.calon_id].jenis_kelamin, "Alamat": cal[p.calon_id].alamat,
             "Desa/Kelurahan": wil[p.desa_kode][0], "Kecamatan": wil[p.desa_kode][1],
             "Hasil Cek BPJS": BPJS_STATUS[p.bpjs_status]} for i, p in enumerate(people, 1)]
    sk = f"SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)}" if k.nomor_sk else "Rancangan (SK belum ditetapkan)"
    b = budget(session, kohort_id)
    recap = [_budget_record(b, r.kecamatan, r.desa, r.peserta) for r in b.desa]
    out = records_workbook([
        ("Lampiran SK", f"Lampiran {sk}: Penerima bantuan iuran BPJS Ketenagakerjaan pekerja rentan — {k.nama}",
         f"{len(rows)} peserta, {fmt.bulan_tahun(k.mulai)} – {fmt.bulan_tahun(k.selesai)}, sumber dana "
         f"{k.sumber_dana}.", list(rows[0]), rows),
        ("Rekap per desa", f"Rekap peserta dan iuran per desa — {k.nama}", None, _BUDGET_HEADERS, recap)],
        money_columns=_MONEY)
    audit.record(session, actor, "ekspor", "kohort", k.id, f"lampiran SK: {len(rows)} peserta (NIK lengkap)")
    return out


# --- demo data ----------------------------------------------------------------------------------------
def seed_demo(session: Session, today: dt.date | None = None) -> bool:
    """A demo cohort for next year: Karang Dalo and Jatiharjo verified and sent their letter, Jatiharjo's
    answer overdue, Karang Dalo's still within its deadline. Once, and only on a database without cohorts."""
    from lib.base.db import User  # noqa: PLC0415 (only the demo needs accounts)

    if session.scalars(select(Kohort.id).limit(1)).first() is not None:
        return False
    if session.get(Desa, "karang-dalo") is None:
        return False
    today = today or today_wib()
    users = dict(session.execute(select(User.username, User.id)).all())
    cal = kalender.load_calendar(session)

    def working_days_before(n: int) -> dt.date:
        d = today
        while n:
            d -= dt.timedelta(days=1)
            n -= cal.is_working_day(d)
        return d

    now = utcnow()
    k = Kohort(nama=f"Pekerja Rentan {today.year + 1}", mulai=dt.date(today.year + 1, 1, 1),
               selesai=dt.date(today.year + 1, 12, 1), sumber_dana="DBHCHT", state="disusun",
               created_by=users.get("staf"), created_at=now)
    session.add(k)
    session.flush()
    for kode, sent in (("karang-dalo", working_days_before(2)), ("jatiharjo", working_days_before(8))):
        n = session.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.desa_kode == kode)) or 0
        session.add(KohortDesa(kohort_id=k.id, desa_kode=kode, diverifikasi_oleh=users.get("kabidsos"),
                               diverifikasi_pada=now, jumlah_diverifikasi=n, surat_nomor="400.9/112/DISNAKER",
                               surat_tanggal=sent, surat_batas=letter_deadline(session, sent)))
    session.flush()
    return True
