"""A pekerja rentan cohort from the villages' answers to the SK and the budget (SOP pekerja-rentan, seed 000).

The SOP's steps are named by stage (``tahap``), never by number: :mod:`lib.rentan.tahap` finds each in the
revision in force, so a renumbered SOP changes nothing here.

Where each part lives: the cohorts, the Kabid's verification, the letters and the participants here; the
BPJS check in :mod:`lib.rentan.bpjs`; the contribution settings (:class:`Iuran`), the SK and the budget in
:mod:`lib.rentan.anggaran`.

The rules of the agency, in the order the SOP runs them:

* **Kabid's verification** (stage ``verifikasi_calon``) — :func:`verify_desa`: the Kepala Bidang Jaminan Sosial
  confirms the provisional list of a desa for the cohort; only then may the confirmation letter go out, and only
  while the list still has the size the Kabid verified (a list changed since needs verifying again).
* **Letters** (stages ``surat_konfirmasi``, ``jawaban_desa``) — :func:`send_letter` records the letter distributed
  to a desa; the answer is due within :data:`LETTER_WORKING_DAYS` working days of the agency's calendar
  (:func:`letter_deadline`). :func:`record_answer` records the answer; an accepted validation file records it too
  (:func:`lib.rentan.desa.accept`). :func:`desa_status` shows who is overdue.
* **Participants** (stage ``pemutakhiran_calon``) — :func:`take_validated`: the people the villages confirmed as
  *Valid* join the cohort's list in the order of the desa's list, up to the desa's quota when staff set one
  (:func:`set_quota`, its share of the allocation); the Valid candidates beyond it are the desa's reserve. A later
  answer, or a gap left by a replacement, is filled up to the quota (:func:`to_take` says who would join now).
* **BPJS check** (stages ``cek_bpjs`` to ``penggantian``) — :func:`bpjs_export` is the list sent to BPJS
  Ketenagakerjaan, :func:`bpjs_import` reads its answer: a person already covered by another programme is replaced
  by the first of the same desa's reserve. Nobody is deleted: the replaced row stays, marked ``diganti``, and the
  replacement points back to it.
* **SK** (stage ``sk``) — :func:`set_sk` freezes the list once every participant has been checked, and keeps the
  contribution basis in force that day for the cohort; :func:`sk_workbook` is the SK attachment.
* **Budget** (stage ``pembayaran``) — :func:`budget`: JKK (a percentage of the declared income) + JKM per person per
  month (:class:`Iuran`, a setting; Rp16.800 at Rp1.000.000) × the months from the cohort's start to its end, per
  desa, per kecamatan and in total.

Staff act with ``manage_candidates`` and the Kabid verifies with ``verify_candidates``, both on the scope
of the bidang that owns the SOP (:data:`BIDANG_SCOPE`). Exports carrying NIK need
``export_personal_data`` and are logged.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import audit, fmt, kalender, workflow
from lib.base.db import (
    CalonPenerima,
    Desa,
    Kecamatan,
    Kohort,
    KohortDesa,
    PesertaKohort,
    ReferensiRentan,
    utcnow,
)
from lib.base.permissions import Actor, PermissionDenied, has_permission, require
from lib.base.worktime import to_wib
from lib.rentan import alur
from lib.rentan import desa as rentan
from lib.rentan.alur import KohortError  # noqa: F401  (part of this module's interface)

#: The bidang that owns SOP ``pekerja-rentan``: its Kepala Bidang verifies, its staff run the cohort.
BIDANG_SCOPE = rentan.BIDANG_SCOPE
#: Working days a desa has to answer the confirmation letter (the waktu of the ``surat_konfirmasi`` step: "5 Hari").
LETTER_WORKING_DAYS = 5
SUMBER_DANA = ("APBD", "DBHCHT")


def require_staff(actor: Actor) -> None:
    """Refuse unless the actor may run the cohort (``manage_candidates`` on :data:`BIDANG_SCOPE`)."""
    require(actor, "manage_candidates", BIDANG_SCOPE)


def today_wib() -> dt.date:
    return to_wib(utcnow()).date()


# --- cohorts ------------------------------------------------------------------------------------------
def months(mulai: dt.date, selesai: dt.date) -> int:
    """Months paid from the month of ``mulai`` to the month of ``selesai``, both included."""
    return (selesai.year - mulai.year) * 12 + selesai.month - mulai.month + 1


def create(session: Session, actor: Actor, nama: str, mulai: dt.date, selesai: dt.date, sumber_dana: str) -> Kohort:
    require_staff(actor)
    nama = re.sub(r"\s+", " ", nama or "").strip()
    if not nama:
        raise KohortError("Nama kohort wajib diisi, misalnya “Pekerja Rentan 2027”.")
    if len(nama) > 100:
        raise KohortError(f"Nama kohort {len(nama)} karakter, lebih dari batas 100; persingkat namanya.")
    if sumber_dana not in SUMBER_DANA:
        raise KohortError(f"Sumber dana harus salah satu dari {', '.join(SUMBER_DANA)}.")
    mulai, selesai = mulai.replace(day=1), selesai.replace(day=1)
    if selesai < mulai:
        raise KohortError("Bulan terakhir kepesertaan tidak boleh sebelum bulan pertama.")
    if months(mulai, selesai) > 36:
        raise KohortError("Satu kohort paling lama 36 bulan.")
    if session.scalars(select(Kohort.id).where(Kohort.nama == nama)).first() is not None:
        raise KohortError(f"Kohort “{nama}” sudah ada.")
    k = Kohort(nama=nama, mulai=mulai, selesai=selesai, sumber_dana=sumber_dana,
               created_by=actor.user_id, created_at=utcnow())
    workflow.create(session, actor, k, "buat", comment=f"Kohort {nama} dibuat",
                    detail=f"{nama}: {fmt.bulan_tahun(mulai)} – {fmt.bulan_tahun(selesai)}, {sumber_dana}")
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


def get_open(session: Session, kohort_id: int) -> Kohort:
    """The cohort, refused once its SK is set (:func:`frozen`): every change of its list starts here."""
    k = get(session, kohort_id)
    if frozen(k):
        raise KohortError(f"SK kohort {k.nama} sudah ditetapkan; daftarnya tidak dapat diubah lagi.")
    return k


def _kohort_desa(session: Session, actor: Actor | None, kohort_id: int, desa_kode: str,
                 create: bool = True) -> KohortDesa | None:
    """The desa's row in the cohort; ``create`` adds it (state ``belum_diverifikasi``) when it has none."""
    row = session.scalars(select(KohortDesa).where(KohortDesa.kohort_id == kohort_id,
                                                   KohortDesa.desa_kode == desa_kode)).first()
    if row is None and create:
        row = KohortDesa(kohort_id=kohort_id, desa_kode=desa_kode)
        workflow.create(session, actor, row, "tambah", record=False)
    return row


# --- verifikasi_calon: the Kabid's verification ---------------------------------------------------------
def verify_desa(session: Session, actor: Actor, kohort_id: int, desa_kode: str) -> KohortDesa:
    """The Kepala Bidang confirms the desa's provisional list for the cohort (stage ``verifikasi_calon``)."""
    require(actor, "verify_candidates", BIDANG_SCOPE)
    k = get_open(session, kohort_id)
    desa = rentan.get_desa(session, desa_kode)
    n = alur.calon_count(session, desa_kode)
    if not n:
        raise KohortError(f"Daftar calon {desa.nama} masih kosong; susun dulu dari data DTKS/P3KE/DTSEN.")
    row = _kohort_desa(session, actor, kohort_id, desa_kode)
    row.diverifikasi_oleh, row.diverifikasi_pada, row.jumlah_diverifikasi = actor.user_id, utcnow(), n
    workflow.transition(session, actor, row, "verifikasi", comment=f"{desa.nama}: {n} calon diverifikasi",
                        detail=f"{k.nama}: {n} calon diverifikasi Kabid")
    return row


# --- surat_konfirmasi, jawaban_desa: letters ------------------------------------------------------------
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
                tanggal: dt.date, nomor_desa: dict[str, str] | None = None) -> list[KohortDesa]:
    """Record the confirmation letter distributed to the desa (stage ``surat_konfirmasi``), with the answer's
    deadline. ``nomor_desa`` gives a desa its own letter number (the agenda's); the others take ``nomor``."""
    require_staff(actor)
    k = get_open(session, kohort_id)
    nomor = (nomor or "").strip()
    numbers = {kode: ((nomor_desa or {}).get(kode) or nomor).strip() for kode in desa_kodes}
    if not all(numbers.values()):
        raise KohortError("Nomor surat wajib diisi.")
    if not desa_kodes:
        raise KohortError("Pilih sedikitnya satu desa/kelurahan.")
    if tanggal > today_wib():
        raise KohortError("Tanggal surat tidak boleh di masa depan.")
    batas = letter_deadline(session, tanggal)
    out = []
    for kode in desa_kodes:
        desa = rentan.get_desa(session, kode)
        row = _kohort_desa(session, actor, kohort_id, kode, create=False)
        if row is None or row.diverifikasi_pada is None:
            raise KohortError(f"Daftar calon {desa.nama} belum diverifikasi Kepala Bidang; surat belum dapat dikirim.")
        n = alur.calon_count(session, kode)
        if n != row.jumlah_diverifikasi:
            raise KohortError(f"Daftar calon {desa.nama} berubah sejak diverifikasi "
                              f"({fmt.angka(row.jumlah_diverifikasi)} menjadi {fmt.angka(n)} orang); minta Kepala "
                              "Bidang memverifikasinya lagi sebelum surat dikirim.")
        row.surat_nomor, row.surat_tanggal, row.surat_batas = numbers[kode][:100], tanggal, batas
        out.append(row)
    for row in out:
        n = row.surat_nomor
        workflow.transition(session, actor, row, "kirim_surat",
                            comment=f"Surat {n} tanggal {tanggal:%Y-%m-%d}; batas jawaban {batas:%Y-%m-%d}",
                            detail=f"{k.nama}: surat {n} ke {row.desa_kode} ({len(out)} desa: {', '.join(desa_kodes)})")
    return out


def record_answer(session: Session, actor: Actor, kohort_id: int, desa_kode: str, tanggal: dt.date,
                  catatan: str = "", batch_id: int | None = None) -> KohortDesa:
    """Record the desa's answer to the letter (stage ``jawaban_desa``)."""
    require_staff(actor)
    get_open(session, kohort_id)
    desa = rentan.get_desa(session, desa_kode)
    row = _kohort_desa(session, actor, kohort_id, desa_kode, create=False)
    if row is None or row.surat_tanggal is None:
        raise KohortError(f"Belum ada surat konfirmasi yang tercatat dikirim ke {desa.nama}.")
    if tanggal < row.surat_tanggal or tanggal > today_wib():
        raise KohortError("Tanggal jawaban harus di antara tanggal surat dan hari ini.")
    row.jawaban_tanggal, row.jawaban_catatan = tanggal, (catatan or "").strip() or None
    row.batch_id = batch_id or row.batch_id
    workflow.transition(session, actor, row, "catat_jawaban", comment=f"Jawaban {tanggal:%Y-%m-%d}",
                        detail=f"jawaban surat {tanggal:%Y-%m-%d}")
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
    cadangan: int = 0                # Valid candidates the quota keeps off the list: the desa's reserve
    state: str = "belum_diverifikasi"  # its workflow state (data/workflows/kohort_desa.yaml)
    menunggu: int = 0                # Valid candidates of an answered desa that "Ambil" would add now

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


def require_reader(actor: Actor) -> None:
    """Refuse unless the actor may read the cohort's people: its staff or its Kabid (on :data:`BIDANG_SCOPE`)."""
    if not (has_permission(actor, "manage_candidates", BIDANG_SCOPE)
            or has_permission(actor, "verify_candidates", BIDANG_SCOPE)):
        raise PermissionDenied(actor, "manage_candidates", BIDANG_SCOPE)


def desa_status(session: Session, actor: Actor, kohort_id: int, today: dt.date | None = None) -> list[DesaStatus]:
    """Every desa of the regency with its progress in the cohort (the letters tracker)."""
    require_reader(actor)
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
    outside = dict(session.execute(select(CalonPenerima.desa_kode, func.count())
                                   .where(CalonPenerima.status_validasi == "valid", CalonPenerima.nik.not_in(listed))
                                   .group_by(CalonPenerima.desa_kode)).all())
    # Valid people not on the list are either waiting for "Ambil" (room left in the quota, or no quota) or,
    # in an answered desa whose quota is full, its reserve; never both.
    waiting: dict[str, int] = {}
    for c in ([] if frozen(get(session, kohort_id)) else to_take(session, kohort_id)):
        waiting[c.desa_kode] = waiting.get(c.desa_kode, 0) + 1
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
                              r.kuota if r else None,
                              outside.get(d.kode, 0) - waiting.get(d.kode, 0) if answered and r.kuota is not None
                              else 0,
                              r.state if r else "belum_diverifikasi", waiting.get(d.kode, 0)))
    return out


def desa_actions(actor: Actor, d: DesaStatus) -> list[str]:
    """What ``actor`` may do with a desa's list now (transitions of data/workflows/kohort_desa.yaml), for the
    page's buttons; the guards (an empty or changed list) are checked again when the action runs."""
    return workflow.permitted(actor, "kohort_desa", d.state, (BIDANG_SCOPE, alur.desa_scope(d.kode)))


def overdue(session: Session, actor: Actor, kohort_id: int, today: dt.date | None = None) -> list[DesaStatus]:
    return [d for d in desa_status(session, actor, kohort_id, today) if d.terlambat]


# --- pemutakhiran_calon: participants -----------------------------------------------------------------
def new_participant(c: CalonPenerima, kohort_id: int, actor: Actor, replaces: int | None = None) -> PesertaKohort:
    """A new participant from a candidate, not yet checked by BPJS (``replaces``: the replaced row); it is
    given its state (``aktif``) by the workflow when added (:func:`lib.base.workflow.create_many`)."""
    return PesertaKohort(kohort_id=kohort_id, desa_kode=c.desa_kode, calon_id=c.id, nik=c.nik, nama=c.nama,
                         bpjs_status="belum_dicek", pengganti_untuk=replaces,
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
    require_staff(actor)
    k = get_open(session, kohort_id)
    desa = rentan.get_desa(session, desa_kode)
    if kuota is not None and (kuota < 0 or kuota > 100_000):
        raise KohortError("Kuota harus bilangan bulat 0 sampai 100.000, atau dikosongkan untuk semua calon Valid.")
    row = _kohort_desa(session, actor, kohort_id, desa_kode)
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
    require_staff(actor)
    k = get_open(session, kohort_id)
    if not _answered(session, kohort_id):
        raise KohortError("Belum ada desa yang menjawab surat konfirmasi; belum ada calon yang dapat diambil.")
    people = to_take(session, kohort_id)
    workflow.create_many(session, actor, [new_participant(c, kohort_id, actor) for c in people], "tambah")
    added = len(people)
    audit.record(session, actor, "susun_peserta", "kohort", k.id, f"{added} calon tervalidasi masuk daftar peserta")
    return added


def participants(session: Session, actor: Actor, kohort_id: int, desa_kode: str | None = None,
                 with_replaced: bool = False) -> list[PesertaKohort]:
    """The cohort's participants (active ones, or every row with ``with_replaced``), for its staff and Kabid."""
    require_reader(actor)
    q = select(PesertaKohort).where(PesertaKohort.kohort_id == kohort_id)
    if desa_kode:
        q = q.where(PesertaKohort.desa_kode == desa_kode)
    if not with_replaced:
        q = q.where(PesertaKohort.state == "aktif")
    return list(session.scalars(q.order_by(PesertaKohort.desa_kode, PesertaKohort.id)))


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
               selesai=dt.date(today.year + 1, 12, 1), sumber_dana="DBHCHT", created_by=users.get("staf"),
               created_at=now)
    workflow.create(session, None, k, "buat", comment="Kohort demo", detail=f"{k.nama} (data demo)")
    for kode, sent in (("karang-dalo", working_days_before(2)), ("jatiharjo", working_days_before(8))):
        n = alur.calon_count(session, kode)
        row = KohortDesa(kohort_id=k.id, desa_kode=kode)
        workflow.create(session, None, row, "tambah", record=False)
        row.diverifikasi_oleh, row.diverifikasi_pada, row.jumlah_diverifikasi = users.get("kabidsos"), now, n
        workflow.transition(session, None, row, "verifikasi", comment=f"{n} calon diverifikasi (data demo)")
        row.surat_nomor, row.surat_tanggal, row.surat_batas = "400.9/112/DISNAKER", sent, letter_deadline(session, sent)
        workflow.transition(session, None, row, "kirim_surat", comment="Surat 400.9/112/DISNAKER (data demo)")
    session.flush()
    return True
