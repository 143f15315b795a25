"""The KPI engine's frames as the dashboard shows and exports them: Indonesian headers, working time in
words, percentages with a decimal comma. Pure pandas; no figures are computed here."""
from __future__ import annotations

import pandas as pd

from lib.base import fmt
from lib.base.mutu_baku import MINUTES_PER_WORKING_DAY, format_working_minutes
from lib.base.roles import ROLES
from lib.casework.worklist import STATUS_LABELS


def minutes(value) -> str:
    """Working minutes as ``1 hari 2 jam`` (``—`` when empty)."""
    return "—" if value is None or pd.isna(value) else format_working_minutes(value).replace(" kerja", "")


def minutes_short(value) -> str:
    """Working minutes in one unit with one decimal for a headline figure that must fit its box:
    ``2,5 hari``, ``3,4 jam``, ``35 menit`` (a working day of 450 minutes; ``—`` when empty)."""
    if value is None or pd.isna(value):
        return "—"
    if value >= MINUTES_PER_WORKING_DAY:
        return f"{fmt.angka(value / MINUTES_PER_WORKING_DAY, 1)} hari"
    if value >= 60:
        return f"{fmt.angka(value / 60, 1)} jam"
    return f"{fmt.angka(value)} menit"


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


def bottleneck_table(bottlenecks: pd.DataFrame, step_names: list[str]) -> pd.DataFrame:
    """The bottleneck ranking as the dashboard shows it (one row per step, in rank order)."""
    b = bottlenecks
    return pd.DataFrame({
        "Peringkat": b["rank"].to_numpy(), "Langkah": step_names, "Jumlah": b["n"].to_numpy(),
        "Median": b["median_working_min"].map(minutes).to_numpy(),
        "Target": b["target_working_min"].map(minutes).to_numpy(),
        "Kelebihan": b["excess_per_run_min"].map(minutes).to_numpy(), "% tepat": b["within_pct"].map(pct).to_numpy()})


def role_table(roles: pd.DataFrame) -> pd.DataFrame:
    r = roles
    return pd.DataFrame({
        "Peran": r["role"].map(lambda x: ROLES.get(x, x or "—")), "Selesai": r["completed"],
        "Terbuka": r["open"], "Terbuka terlambat": r["open_overdue"], "Median": r["median_working_min"].map(minutes),
        "P90": r["p90_working_min"].map(minutes), "% tepat": r["within_pct"].map(pct)})


BREACH_COLUMNS = {
    "sop": "SOP", "step_no": "Langkah", "kegiatan": "Kegiatan",
    "register_no": "No. register", "applicant_name": "Nama pemohon", "revision_no": "Revisi SOP",
    "attempt": "Ke-", "role": "Peran", "officer_name": "Petugas", "available_at": "Tersedia", "started_at": "Mulai",
    "completed_at": "Selesai",
    "wait_text": "Tunggu (waktu kerja)", "wait_working_min": "Tunggu (menit kerja)",
    "processing_text": "Proses (waktu kerja)", "processing_working_min": "Proses (menit kerja)",
    "processing_elapsed_min": "Proses (menit kalender)", "target_label": "Target",
    "target_working_min": "Target (menit kerja)",
    "over_text": "Lewat target (waktu kerja)", "over_target_working_min": "Lewat target (menit kerja)",
    "outcome": "Hasil",
}


def breach_table(breaches: pd.DataFrame, with_names: bool, sop_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Late runs (:func:`lib.measure.kpi.breaches`) for the drill-down and its download: every working time in
    days, hours and minutes beside its raw minutes, the officer's name beside the role; applicants' names only
    with permission."""
    out = breaches.copy()
    out["sop"] = out["sop_id"].map(lambda i: (sop_labels or {}).get(i, i))
    out["role"] = out["role"].map(lambda x: ROLES.get(x, x or "—"))
    out["officer_name"] = out["officer_name"].astype(object).fillna("—")
    for c in ("wait_working_min", "processing_working_min", "processing_elapsed_min", "over_target_working_min"):
        out[c] = out[c].round(0)
    for text, raw in (("wait_text", "wait_working_min"), ("processing_text", "processing_working_min"),
                      ("over_text", "over_target_working_min")):
        out[text] = out[raw].map(minutes)
    for c in ("available_at", "started_at", "completed_at"):  # already WIB: drop the zone for Excel
        out[c] = out[c].dt.tz_localize(None)
    cols = [c for c in BREACH_COLUMNS if with_names or c != "applicant_name"]
    return out[cols].rename(columns=BREACH_COLUMNS)
