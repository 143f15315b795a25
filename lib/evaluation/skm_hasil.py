"""SKM results for evaluators: the IKM of one service (or all) in a period, the respondents against the
Krejcie–Morgan minimum sample, the breakdown per profile, the chart per unsur, the suggestions, the XLSX
report, and the import of paper questionnaires (all or nothing, stored with source ``kertas``, audited).

The **population** N of a service in a period is the number of cases (permohonan) opened for that SOP in the
period in this portal (table ``cases``, WIB days, both ends included): the people who received the service
and could have answered. All services together: the cases of every SOP. No Streamlit here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lib.base import audit, fmt
from lib.base.db import AuditEntry, Case
from lib.base.errors import UserError
from lib.base.permissions import Actor, require
from lib.base.sheets import to_bytes, write_table
from lib.base.worktime import WIB
from lib.evaluation import skm, skm_data
from lib.measure.charts import BLUE, GREY, RED, style_figure

PROFILE_COLUMNS = ("jenis_kelamin", "usia", "pendidikan", "pekerjaan")
POPULATION_NOTE = ("N (populasi) = jumlah berkas permohonan layanan ini yang dibuka di portal pada periode yang "
                   "dipilih (tabel berkas). Sampel minimum menurut Krejcie–Morgan (χ² = 3,841, P = 0,5, d = 0,05).")


def _wib(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), WIB)


def population(session: Session, sop_id: str | None, date_from: dt.date, date_to: dt.date) -> int:
    """Cases opened for ``sop_id`` (None: every SOP) from ``date_from`` to ``date_to`` (WIB days, inclusive)."""
    q = select(func.count()).select_from(Case).where(Case.created_at >= _wib(date_from),
                                                    Case.created_at < _wib(date_to + dt.timedelta(days=1)))
    if sop_id:
        q = q.where(Case.sop_id == sop_id)
    return int(session.scalar(q) or 0)


@dataclass
class SkmReport:
    """The SKM figures of one service (``sop_id``; None = all services) in one period."""
    sop_id: str | None
    date_from: dt.date
    date_to: dt.date
    weight: str
    frame: pd.DataFrame
    result: skm.IkmResult | None
    population: int
    minimum: int | None
    breakdowns: list[skm.Breakdown] = field(default_factory=list)
    suggestions: list[dict] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    #: Codes of the unsur with the lowest NRR (more than one when tied).
    weakest: tuple[str, ...] = ()

    @property
    def respondents(self) -> int:
        return 0 if self.result is None else self.result.respondents

    @property
    def shortfall(self) -> int:
        """Respondents missing to reach the minimum sample (0 when enough or when N is 0)."""
        return max(0, (self.minimum or 0) - self.respondents)

    def sample_message(self) -> str:
        """One Indonesian sentence on the sample against the minimum."""
        if self.minimum is None:
            return ("Belum ada berkas permohonan pada periode ini (N = 0): sampel minimum tidak dapat dihitung.")
        if not self.respondents:
            return (f"Dibutuhkan paling sedikit {fmt.angka(self.minimum)} responden untuk populasi "
                    f"{fmt.angka(self.population)} berkas.")
        if self.shortfall:
            return (f"Responden {fmt.angka(self.respondents)} kurang dari sampel minimum {fmt.angka(self.minimum)} "
                    f"untuk populasi {fmt.angka(self.population)} berkas: kurang {fmt.angka(self.shortfall)} "
                    "responden. Hasil IKM belum mewakili pengguna layanan.")
        return (f"Responden {fmt.angka(self.respondents)} memenuhi sampel minimum {fmt.angka(self.minimum)} untuk "
                f"populasi {fmt.angka(self.population)} berkas.")


def _weakest(result: skm.IkmResult) -> tuple[str, ...]:
    low = min(result.totals)
    return tuple(k for k, t in zip(skm.KODE, result.totals) if t == low)


def report(session: Session, actor: Actor, sop_id: str | None, date_from: dt.date, date_to: dt.date,
           weight: str = "exact", labels: dict[str, str] | None = None) -> SkmReport:
    """Every figure of the results page. ``labels`` (SOP id → name) names the services in the breakdown."""
    require(actor, "view_skm_results")
    if weight not in skm.WEIGHTS:
        raise ValueError("Bobot harus 'exact' (1/9) atau 'legacy' (0,111).")
    frame = skm_data.responses(session, sop_id, date_from, date_to)
    pop = population(session, sop_id, date_from, date_to)
    minimum = skm.min_sample(pop) if pop else None
    out = SkmReport(sop_id, date_from, date_to, weight, frame, None, pop, minimum,
                    sources={k: int(v) for k, v in frame["sumber"].value_counts().items()})
    if frame.empty:
        return out
    out.result = skm.ikm(frame, weight)
    out.weakest = _weakest(out.result)
    names = labels or {}
    profile = frame.assign(layanan=frame["layanan"].map(lambda i: names.get(i, i)))
    columns = list(PROFILE_COLUMNS) + (["layanan"] if sop_id is None else [])
    out.breakdowns = [skm.breakdown(profile, c, weight) for c in columns]
    with_text = frame[frame["saran"].notna()].sort_values("submitted_at", ascending=False)
    out.suggestions = [{"Tanggal": fmt.tanggal(t.astimezone(WIB).date()), "Layanan": names.get(s, s),
                        "Sumber": "Kertas" if src == "kertas" else "Daring", "Saran": text}
                       for t, s, src, text in zip(with_text["submitted_at"], with_text["layanan"],
                                                  with_text["sumber"], with_text["saran"])]
    return out


def figures(session: Session, sop_id: str, date_from: dt.date, date_to: dt.date) -> dict:
    """The SKM result as plain values (for a review to freeze): respondents, NRR (2 decimals), IKM, mutu,
    kinerja, the population and minimum sample, the weakest unsur; ``ikm`` is None without respondents."""
    frame = skm_data.responses(session, sop_id, date_from, date_to)
    pop = population(session, sop_id, date_from, date_to)
    out = {"respondents": len(frame), "nrr": None, "ikm": None, "mutu": None, "kinerja": None,
           "population": pop, "min_sample": skm.min_sample(pop) if pop else None, "weakest": []}
    if len(frame):
        r = skm.ikm(frame)
        out.update(nrr=[float(skm.round2(Fraction(t, r.respondents))) for t in r.totals], ikm=float(r.ikm),
                   mutu=r.mutu, kinerja=r.kinerja, weakest=list(_weakest(r)))
    return out


# --- display ------------------------------------------------------------------------------------------
def nrr_table(rep: SkmReport) -> pd.DataFrame:
    """One row per unsur: NRR (1–4), NRR × 25, its own mutu and kinerja; the weakest marked."""
    r = rep.result
    rows = []
    for u, total, nilai in zip(skm.UNSUR, r.totals, r.ikm_unsur):
        mutu, kinerja = skm.grade(nilai)
        rows.append({"Kode": u.kode, "Unsur": u.nama, "Jumlah nilai": total,
                     "NRR": fmt.angka(skm.round2(Fraction(total, r.respondents)), 2),
                     "NRR × 25": fmt.angka(nilai, 2), "Mutu": mutu, "Kinerja": kinerja,
                     "Catatan": "terendah" if u.kode in rep.weakest else ""})
    return pd.DataFrame(rows)


def breakdown_table(b: skm.Breakdown) -> pd.DataFrame:
    return pd.DataFrame([{b.label: r.nilai, "Responden": r.respondents, "IKM": fmt.angka(r.ikm, 2), "Mutu": r.mutu,
                          "Kinerja": r.kinerja} for r in b.rows])


# Grade boundaries in NRR terms (IKM ÷ 25) for the chart.
_BOUNDS = (("C", 65.00), ("B", 76.61), ("A", 88.31))


def chart(rep: SkmReport) -> go.Figure:
    """NRR per unsur (scale 1–4) as horizontal bars, the weakest in red, with the grade boundaries."""
    r = rep.result
    names = [f"{u.kode} {u.nama}" for u in skm.UNSUR]
    nrr = [float(Fraction(t, r.respondents)) for t in r.totals]
    colours = [RED if k in rep.weakest else BLUE for k in skm.KODE]
    text = [fmt.angka(skm.round2(Fraction(t, r.respondents)), 2) for t in r.totals]
    fig = go.Figure(go.Bar(x=nrr, y=names, orientation="h", marker_color=colours, text=text, textposition="outside",
                           customdata=[fmt.angka(v, 2) for v in r.ikm_unsur],
                           hovertemplate="%{y}<br>NRR %{text} · nilai konversi %{customdata}<extra></extra>"))
    for mutu, value in _BOUNDS:
        fig.add_vline(x=value / 25, line=dict(color=GREY, dash="dot", width=1),
                      annotation_text=f"mutu {mutu}", annotation_position="top")
    weakest = ", ".join(u.nama for u in skm.UNSUR if u.kode in rep.weakest)
    style_figure(fig, f"Nilai rata-rata per unsur (skala 1–4); terendah: {weakest}", height=430)
    fig.update_xaxes(range=[0, 4.4], title="NRR", showgrid=True, gridcolor="#e5e7eb", dtick=0.5)
    fig.update_yaxes(autorange="reversed", gridcolor="white")
    return fig


def workbook(rep: SkmReport, title: str) -> bytes:
    """The report tables as XLSX (skm.report_workbook), with the population and minimum sample."""
    return skm.report_workbook(rep.result, rep.breakdowns, [s["Saran"] for s in rep.suggestions], title,
                               population=rep.population or None)


# --- paper questionnaires ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperBatch:
    """A checked file of paper questionnaires, ready to be saved: ``frame`` has U1…U9 (1–4), the profile in
    the survey's own choices (or None) and ``saran``, indexed by the spreadsheet row."""
    filename: str
    sha256: str
    frame: pd.DataFrame

    def preview(self) -> pd.DataFrame:
        labels = {c: skm.PROFIL[c][0] for c in PROFILE_COLUMNS}
        out = self.frame.rename(columns={**labels, "saran": "Saran"}).reset_index().rename(columns={"baris": "Baris"})
        return out.astype(object).where(out.notna(), "")


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def _canonical(column: str, value) -> str | None:
    """A profile value in the survey's own choices, or None when it is not one of them."""
    choices = skm.PROFIL[column][1]
    if column == "usia":
        value = skm.usia_band(value)
    if value is None:
        return None
    by_key = {_norm(c): c for c in choices}
    return by_key.get(_norm(value))


def read_paper(data: bytes, filename: str) -> PaperBatch:
    """Read and check a file of paper questionnaires (XLSX or CSV, the same layout as the respondent files of
    :func:`skm.read_responses`). Problems are reported by spreadsheet row and column in a
    :class:`skm.SkmFileError`: every bad answer (U1…U9) at once, then, once the answers are right, every bad
    profile value or over-long suggestion. Nothing is stored here."""
    frame = skm.read_responses(data, filename)
    errors: list[str] = []
    out = frame[list(skm.KODE)].copy()
    for column in PROFILE_COLUMNS:
        label, choices = skm.PROFIL[column]
        values = []
        for row, value in zip(frame.index, frame[column] if column in frame else [None] * len(frame)):
            if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
                values.append(None)
                continue
            canon = _canonical(column, value)
            if canon is None:
                errors.append(f"Baris {row}, kolom {label}: “{value}” bukan pilihan ({', '.join(choices)}).")
            values.append(canon)
        out[column] = pd.Series(values, index=frame.index, dtype=object)
    saran = frame["saran"] if "saran" in frame else pd.Series([None] * len(frame), index=frame.index)
    cleaned = []
    for row, text in zip(frame.index, saran):
        text = None if text is None or (isinstance(text, float) and pd.isna(text)) else str(text).strip() or None
        if text and len(text) > skm_data.MAX_SARAN:
            errors.append(f"Baris {row}, kolom Saran: terlalu panjang (maksimal {fmt.angka(skm_data.MAX_SARAN)} "
                          "karakter).")
        cleaned.append(text)
    out["saran"] = pd.Series(cleaned, index=frame.index, dtype=object)
    if errors:
        raise skm.SkmFileError(errors)
    return PaperBatch(filename, hashlib.sha256(data).hexdigest(), out)


def template_xlsx() -> bytes:
    """An empty questionnaire sheet to type paper answers into: one row per respondent, U1…U9 (1–4), the
    profile and the suggestion, and a sheet explaining each unsur's answers."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Responden"
    header = [*skm.KODE, "Jenis Kelamin", "Usia", "Pendidikan", "Pekerjaan", "Saran"]
    write_table(ws, header, [], [6] * 9 + [14, 8, 14, 18, 60])
    ws2 = wb.create_sheet("Petunjuk")
    rows = [[u.kode, u.nama, u.pertanyaan, *[f"{i} = {p}" for i, p in enumerate(u.pilihan, start=1)]]
            for u in skm.UNSUR]
    rows += [["Jenis Kelamin", ", ".join(skm.JENIS_KELAMIN)], ["Usia", "umur dalam tahun, atau " + ", ".join(skm.USIA)],
             ["Pendidikan", ", ".join(skm.PENDIDIKAN)], ["Pekerjaan", ", ".join(skm.PEKERJAAN)],
             ["Saran", "bebas, tidak wajib"]]
    write_table(ws2, ["Kolom", "Unsur", "Pertanyaan", "1", "2", "3", "4"], rows, [14, 34, 60, 22, 22, 22, 22])
    return to_bytes(wb)


class PaperImportError(UserError):
    """The batch cannot be saved (unknown service, bad date, file already imported); Indonesian; nothing saved."""


def previous_import(session: Session, sha256: str) -> AuditEntry | None:
    """The audit entry of an earlier import of the same file (same SHA-256), if any."""
    return session.scalars(select(AuditEntry).where(AuditEntry.action == "impor_skm",
                                                    AuditEntry.detail.like(f"%sha256={sha256}%"))
                           .order_by(AuditEntry.id).limit(1)).first()


def save_paper(session: Session, actor: Actor, sop_id: str, batch: PaperBatch, filled_on: dt.date,
               today: dt.date | None = None) -> int:
    """Store every questionnaire of ``batch`` for ``sop_id`` with source ``kertas``, dated ``filled_on`` (noon
    WIB), in the caller's transaction: all rows or, on any error, none. Returns the number stored."""
    require(actor, "manage_reviews")
    today = today or dt.datetime.now(WIB).date()
    if filled_on > today:
        raise PaperImportError("Tanggal pengisian kuesioner tidak boleh di masa depan.")
    offered = skm_data.services(session)
    if sop_id not in offered:
        raise PaperImportError("Pilih layanan yang dinilai pada kuesioner.")
    earlier = previous_import(session, batch.sha256)
    if earlier is not None:
        raise PaperImportError(f"Berkas ini sudah pernah diimpor pada {fmt.waktu(earlier.at)} oleh "
                               f"{earlier.username or '—'}. Tidak ada yang disimpan.")
    at = dt.datetime.combine(filled_on, dt.time(12), WIB)
    for rec in batch.frame.astype(object).itertuples(index=False):
        row = {k: None if not isinstance(v, str) and pd.isna(v) else v for k, v in rec._asdict().items()}
        skm_data.submit(session, sop_id, {k: int(row[k]) for k in skm.KODE},
                        {c: row[c] for c in PROFILE_COLUMNS}, row["saran"], source="kertas", now=at)
    audit.record(session, actor, "impor_skm", "skm", sop_id,
                 f"{len(batch.frame)} kuesioner kertas dari {batch.filename}, diisi {fmt.tanggal(filled_on)}; "
                 f"sha256={batch.sha256}")
    return len(batch.frame)
