"""The workflows of the pekerja rentan objects for :mod:`lib.base.workflow`: a cohort, a desa in a cohort,
a participant and a village's validation batch (tables in ``data/workflows/``), their scopes and guards,
and the errors their refusals raise. :mod:`lib.rentan.desa` and :mod:`lib.rentan.kohort` move them."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import workflow
from lib.base.db import CalonPenerima, Desa, Kohort, KohortDesa, PesertaKohort, ValidasiBatch
from lib.base.errors import UserError
from lib.base.permissions import Actor

#: The bidang that owns SOP ``pekerja-rentan``: its Kepala Bidang verifies, its staff run the cohort.
BIDANG_SCOPE = "bidang:jaminan-sosial"


class RentanError(UserError):
    """A user-caused problem with pekerja rentan data (Indonesian message); nothing was written."""


class KohortError(UserError):
    """A cohort action that cannot be done now (Indonesian message); nothing was written."""


def desa_scope(kode: str) -> str:
    """The local-role scope of a desa (``desa:<kode>``)."""
    return f"desa:{kode}"


workflow.register(workflow.ObjectType("kohort", Kohort, scopes=lambda session, k: (BIDANG_SCOPE,),
                                      describe=lambda k: k.nama, error=KohortError, conflict=KohortError))
workflow.register(workflow.ObjectType(
    "kohort_desa", KohortDesa, scopes=lambda session, row: (BIDANG_SCOPE, desa_scope(row.desa_kode)),
    audit_target=lambda row: ("desa", row.desa_kode), error=KohortError, conflict=KohortError))
workflow.register(workflow.ObjectType("peserta_kohort", PesertaKohort, scopes=lambda session, p: (BIDANG_SCOPE,),
                                      audit_target=lambda p: ("kohort", p.kohort_id), describe=lambda p: p.nama,
                                      error=KohortError, conflict=KohortError))
workflow.register(workflow.ObjectType(
    "validasi_batch", ValidasiBatch, scopes=lambda session, b: (BIDANG_SCOPE, desa_scope(b.desa_kode)),
    describe=lambda b: f"{b.desa_kode} · {b.filename}", error=RentanError, conflict=RentanError))


def calon_count(session: Session, desa_kode: str) -> int:
    """The candidates on a desa's provisional list."""
    return session.scalar(select(func.count(CalonPenerima.id)).where(CalonPenerima.desa_kode == desa_kode)) or 0


def _desa_name(session: Session, kode: str) -> str:
    desa = session.get(Desa, kode)
    return desa.nama if desa else kode


@workflow.guard("daftar_ada")
def _list_not_empty(session: Session, actor: Actor | None, row: KohortDesa, context: dict) -> str | None:
    if calon_count(session, row.desa_kode):
        return None
    return f"Daftar calon {_desa_name(session, row.desa_kode)} masih kosong; susun dulu dari data DTKS/P3KE/DTSEN."


@workflow.guard("daftar_tetap")
def _list_unchanged(session: Session, actor: Actor | None, row: KohortDesa, context: dict) -> str | None:
    n = calon_count(session, row.desa_kode)
    if n == row.jumlah_diverifikasi:
        return None
    from lib.base import fmt

    return (f"Daftar calon {_desa_name(session, row.desa_kode)} berubah sejak diverifikasi "
            f"({fmt.angka(row.jumlah_diverifikasi or 0)} menjadi {fmt.angka(n)} orang); minta Kepala "
            "Bidang memverifikasinya lagi sebelum surat dikirim.")


@workflow.guard("kohort_disusun")
def _cohort_open(session: Session, actor: Actor | None, row: KohortDesa, context: dict) -> str | None:
    k = session.get(Kohort, row.kohort_id)
    if k is not None and k.state == "disusun":
        return None
    return f"SK kohort {k.nama if k else ''} sudah ditetapkan; daftarnya tidak dapat diubah lagi."


@workflow.guard("semua_peserta_dicek")
def _all_checked(session: Session, actor: Actor | None, k: Kohort, context: dict) -> str | None:
    statuses = list(session.scalars(select(PesertaKohort.bpjs_status).where(PesertaKohort.kohort_id == k.id,
                                                                           PesertaKohort.state == "aktif")))
    if not statuses:
        return "Kohort belum memiliki peserta."
    waiting = statuses.count("belum_dicek")
    if waiting:
        return f"{waiting} peserta belum dicek BPJS Ketenagakerjaan; SK ditetapkan setelah semua dicek."
    return None
