"""The contribution settings, the SK and the budget of a pekerja rentan cohort (stages ``sk`` and ``pembayaran``; the
agency's rules: :mod:`lib.rentan.kohort`).

:class:`Iuran` is the contribution basis (an admin's setting, :func:`save_iuran`); :func:`set_sk` freezes the
cohort's list and keeps the basis in force that day for it; :func:`budget` is JKK + JKM per person per month ×
the cohort's months, per desa, per kecamatan and in total; :func:`budget_workbook` and :func:`sk_workbook`
(the SK attachment) are its sheets.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.base import audit, fmt, workflow
from lib.base import iuran as iuran_bpu
from lib.base.db import CalonPenerima, Kohort, PesertaKohort, Setting, utcnow
from lib.base.permissions import Actor, require
from lib.base.sheets import records_workbook
from lib.rentan import kohort
from lib.rentan.bpjs import BPJS_STATUS, wilayah
from lib.rentan.kohort import BIDANG_SCOPE, KohortError

IURAN_KEY = "iuran_rentan"


# --- contribution settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Iuran:
    """JKK + JKM of a Bukan Penerima Upah participant: JKK is ``jkk_persen`` % of the declared monthly
    income (``penghasilan``), JKM a fixed amount. Amounts in whole rupiah."""
    penghasilan: int = 1_000_000
    jkk_persen: Decimal = Decimal("1")
    jkm: int = 6_800

    @property
    def bulanan(self) -> iuran_bpu.IuranBpu:
        """This basis through the one BPU contribution rule (:func:`lib.base.iuran.hitung_bpu`), without JHT:
        the regional government pays JKK and JKM."""
        return iuran_bpu.hitung_bpu(self.penghasilan, jkk_persen=self.jkk_persen, jkm=self.jkm, batas=False)

    @property
    def jkk(self) -> int:
        return self.bulanan.jkk

    @property
    def per_bulan(self) -> int:
        return self.bulanan.total

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
    if not (0 < value.jkk_persen <= 10) or value.jkm < 0:
        raise KohortError("Persentase JKK harus antara 0 dan 10, dan JKM tidak negatif.")
    try:  # the declared income's range, as for every BPU participant
        iuran_bpu.hitung_bpu(value.penghasilan, jkk_persen=value.jkk_persen, jkm=value.jkm)
    except iuran_bpu.IuranError as err:
        raise KohortError(str(err)) from None
    row = session.get(Setting, IURAN_KEY)
    if row is None:
        row = Setting(key=IURAN_KEY, value={})
        session.add(row)
    row.value, row.updated_at, row.updated_by = value.to_dict(), utcnow(), actor.user_id
    audit.record(session, actor, "ubah_pengaturan", "setting", IURAN_KEY,
                 f"penghasilan {value.penghasilan}, JKK {value.jkk_persen}%, JKM {value.jkm}")
    return value


# --- sk: SK -------------------------------------------------------------------------------------------
def set_sk(session: Session, actor: Actor, kohort_id: int, nomor: str, tanggal: dt.date) -> Kohort:
    """Record the signed SK: the list is frozen. Refused while any participant awaits the BPJS check."""
    kohort.require_staff(actor)
    k = kohort.get_open(session, kohort_id)
    nomor = (nomor or "").strip()
    if not nomor:
        raise KohortError("Nomor SK wajib diisi.")
    if tanggal > kohort.today_wib():
        raise KohortError("Tanggal SK tidak boleh di masa depan.")
    active = kohort.participants(session, actor, kohort_id)
    if not active:
        raise KohortError("Kohort belum memiliki peserta.")
    waiting = sum(1 for p in active if p.bpjs_status == "belum_dicek")
    if waiting:
        raise KohortError(f"{waiting} peserta belum dicek BPJS Ketenagakerjaan; SK ditetapkan setelah semua dicek.")
    k.nomor_sk, k.tanggal_sk = nomor[:100], tanggal
    # The SK fixes the amounts too: a later change of the basis (save_iuran) leaves this cohort's budget as signed.
    session.add(Setting(key=_sk_iuran_key(k.id), value=iuran(session).to_dict(), updated_at=utcnow(),
                        updated_by=actor.user_id))
    workflow.transition(session, actor, k, "tetapkan_sk", comment=f"SK {nomor} tanggal {tanggal:%Y-%m-%d}",
                        detail=f"SK {nomor}: {len(active)} peserta")
    return k


# --- pembayaran: budget -------------------------------------------------------------------------------
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


def budget(session: Session, actor: Actor, kohort_id: int) -> Budget:
    """The contribution of the cohort's active participants: iuran per month × months, per desa, per
    kecamatan and in total (whole rupiah)."""
    kohort.require_reader(actor)
    k = kohort.get(session, kohort_id)
    rate = iuran(session, kohort_id)
    n_months = kohort.months(k.mulai, k.selesai)
    wil = wilayah(session)
    per_desa: dict[str, int] = {}
    waiting = 0
    for p in kohort.participants(session, actor, kohort_id):
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
    kohort.require_staff(actor)
    k = kohort.get(session, kohort_id)
    b = budget(session, actor, kohort_id)
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
    kohort.require_staff(actor)
    require(actor, "export_personal_data", BIDANG_SCOPE)
    k = kohort.get(session, kohort_id)
    wil = wilayah(session)
    cal = {c.id: c for c in session.scalars(select(CalonPenerima).where(CalonPenerima.id.in_(
        select(PesertaKohort.calon_id).where(PesertaKohort.kohort_id == kohort_id))))}
    people = sorted(kohort.participants(session, actor, kohort_id),
                    key=lambda p: (wil[p.desa_kode][1], wil[p.desa_kode][0], p.nama))
    if not people:
        raise KohortError("Kohort belum memiliki peserta.")
    rows = [{"No": i, "NIK": p.nik, "Nama": p.nama, "Tanggal Lahir": cal[p.calon_id].tanggal_lahir,
             "Jenis Kelamin": cal[p.calon_id].jenis_kelamin, "Alamat": cal[p.calon_id].alamat,
             "Desa/Kelurahan": wil[p.desa_kode][0], "Kecamatan": wil[p.desa_kode][1],
             "Hasil Cek BPJS": BPJS_STATUS[p.bpjs_status]} for i, p in enumerate(people, 1)]
    sk = f"SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)}" if k.nomor_sk else "Rancangan (SK belum ditetapkan)"
    b = budget(session, actor, kohort_id)
    recap = [_budget_record(b, r.kecamatan, r.desa, r.peserta) for r in b.desa]
    out = records_workbook([
        ("Lampiran SK", f"Lampiran {sk}: Penerima bantuan iuran BPJS Ketenagakerjaan pekerja rentan — {k.nama}",
         f"{len(rows)} peserta, {fmt.bulan_tahun(k.mulai)} – {fmt.bulan_tahun(k.selesai)}, sumber dana "
         f"{k.sumber_dana}.", list(rows[0]), rows),
        ("Rekap per desa", f"Rekap peserta dan iuran per desa — {k.nama}", None, _BUDGET_HEADERS, recap)],
        money_columns=_MONEY)
    audit.record(session, actor, "ekspor", "kohort", k.id, f"lampiran SK: {len(rows)} peserta (NIK lengkap)")
    return out
