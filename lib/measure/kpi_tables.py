"""The KPI engine's frames as the dashboard shows and exports them: Indonesian headers, working time in
words, percentages with a decimal comma. Pure pandas; no figures are computed here."""
from __future__ import annotations

import pandas as pd

from lib.base import fmt
from lib.base.mutu_baku import format_working_minutes
from lib.base.roles import ROLES
from lib.casework.worklist import STATUS_LABELS


def minutes(value) -> str:
    """Working minutes as ``1 hari 2 jam`` (``—`` when empty)."""
    return "—" if value is None or pd.isna(value) else format_working_minutes(value).replace(" kerja", "")


def pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{fmt.angka(value, 1)}%"


def step_table(steps: pd.DataFrame) -> pd.DataFrame:
    s = steps.sort_values(["sop_id", "step_no"])
    return pd.DataFrame({
        "Langkah": s["step_no"], "Kegiatan": s["kegiatan"], "Pelaksana": s["pelaksana"],
        "Target": s["target_label"].fillna("—"), "Jumlah": s["n"], "Tanpa mulai": s["n_without_start"],
        "Median": s["median_working_min"].map(minutes), "P90": s["p90_working_min"].map(minutes),
        "Rata-rata": s["mean_working_min"].map(minutes), "Maks.": s["max_working_min"].map(minutes),
        "Median (kalender)": s["median_elapsed_min"].map(lambda v: "—" if pd.isna(v) else f"{fmt.angka(v)} menit"),
        "% tepat": s["within_pct"].map(pct), "Rasio median": s["median_ratio"].map(
            lambda v: "—" if pd.isna(v) else fmt.angka(v, 2)),
        "Median tunggu": s["median_wait_working_min"].map(minutes), "Berkas diulang": s["rework_cases"]})


def channel_table(channels: pd.DataFrame) -> pd.DataFrame:
    """The channels of each service side by side (:func:`lib.measure.kpi.channel_stats`)."""
    c = channels
    return pd.DataFrame({
        "Layanan": c["layanan"], "Kanal": c["kanal"], "Berkas masuk": c["cases_started"],
        "Berkas selesai": c["cases_completed"],
        "Median lead time (kalender)": c["median_lead_elapsed_min"].map(
            lambda v: "—" if v is None or pd.isna(v) else f"{fmt.angka(v / 1440, 1)} hari"),
        "Median lead time (kerja)": c["median_lead_working_min"].map(minutes),
        "Langkah dinilai": c["judged"], "% tepat": c["within_pct"].map(pct)})


def open_table(open_work: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    o = open_work
    return pd.DataFrame({
        "Status": o["status"].map(STATUS_LABELS), "No. register": o["register_no"],
        "SOP": o["sop_id"].map(lambda i: labels.get(i, i)), "Langkah": o["step_no"], "Kegiatan": o["kegiatan"],
        "Pelaksana": o["pelaksana"], "Tersedia": o["available_at"].map(fmt.waktu_pendek),
        "Umur": o["age_working_min"].map(minutes), "Target": o["target_label"].fillna("—"),
        "Jatuh tempo": o["due_at"].map(lambda t: "—" if pd.isna(t) else fmt.waktu_pendek(t)),
        "% target terpakai": o["used_pct"].map(lambda v: "—" if pd.isna(v) else f"{fmt.angka(v)}%")})


def role_table(roles: pd.DataFrame) -> pd.DataFrame:
    r = roles
    return pd.DataFrame({
        "Peran": r["role"].map(lambda x: ROLES.get(x, x or "—")), "Selesai": r["completed"],
        "Terbuka": r["open"], "Terbuka terlambat": r["open_overdue"], "Median": r["median_working_min"].map(minutes),
        "P90": r["p90_working_min"].map(minutes), "% tepat": r["within_pct"].map(pct)})


BREACH_COLUMNS = {
    "register_no": "No. register", "applicant_name": "Nama pemohon", "revision_no": "Revisi SOP",
    "attempt": "Ke-", "role": "Peran", "available_at": "Tersedia", "started_at": "Mulai", "completed_at": "Selesai",
    "wait_working_min": "Tunggu (menit kerja)", "processing_working_min": "Proses (menit kerja)",
    "processing_elapsed_min": "Proses (menit kalender)", "target_label": "Target",
    "target_working_min": "Target (menit kerja)", "over_target_working_min": "Lewat target (menit kerja)",
    "outcome": "Hasil",
}


def breach_table(breaches: pd.DataFrame, with_names: bool) -> pd.DataFrame:
    """The late runs of one step for the drill-down and its download (names only with permission)."""
    out = breaches.copy()
    out["role"] = out["role"].map(lambda x: ROLES.get(x, x or "—"))
    for c in ("wait_working_min", "processing_working_min", "processing_elapsed_min", "over_target_working_min"):
        out[c] = out[c].round(0)
    for c in ("available_at", "started_at", "completed_at"):  # already WIB: drop the zone for Excel
        out[c] = out[c].dt.tz_localize(None)
    if not with_names:
        out = out.drop(columns=["applicant_name"])
    return out.rename(columns=BREACH_COLUMNS)
