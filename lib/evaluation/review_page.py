"""What the Evaluasi Triwulan page shows, as plain values: the overview's rows and caption, the review's
heading, its KPI and SKM figures with their warnings, and the seven answers as the form shows and returns
them. No Streamlit here: ``views/evaluasi.py`` only draws them (the tables are in :mod:`lib.evaluation.reviews`)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from lib.base import fmt, periode
from lib.evaluation import reviews
from lib.measure.kpi_tables import minutes, pct

#: The choices of a yes/no question, in the order the form shows them.
YA_TIDAK = ("Ya", "Tidak")


def quarters(today: dt.date, n: int = 8) -> tuple[list[periode.Periode], int]:
    """The last ``n`` quarters to choose from, and the one chosen at first: the last closed quarter."""
    recent = periode.recent_quarters(today, n)
    return recent, 1 if len(recent) > 1 else 0


def overview_frame(rows: list[dict]) -> pd.DataFrame:
    """The overview's table: every SOP with the state of its review (``Belum dibuka`` when none)."""
    return pd.DataFrame({"SOP": [r["sop"] for r in rows],
                         "Status": [reviews.STATES.get(r["state"], "Belum dibuka") for r in rows]})


def overview_caption(label: str, rows: list[dict]) -> str:
    """How many reviews of the quarter are approved and how many wait for the Kepala Dinas."""
    done = sum(r["state"] == "disetujui" for r in rows)
    waiting = sum(r["state"] == "diajukan" for r in rows)
    return (f"{label}: {done} dari {len(rows)} SOP sudah disetujui, {waiting} menunggu persetujuan Kepala "
            "Dinas. Klik satu baris untuk membuka evaluasinya.")


def detail_caption(v: reviews.ReviewView) -> str:
    return (f"{v.period_label} ({fmt.tanggal(v.date_from)} – {fmt.tanggal(v.date_to)}) · status "
            f"**{v.state_label}** · disusun oleh {v.created_by}")


def problems_message(problems: list[str]) -> str:
    """Why a saved draft could not be submitted, one line per problem."""
    return "Draf tersimpan, tetapi belum dapat diajukan:\n\n" + "\n".join(f"- {p}" for p in problems)


def returned_warning(v: reviews.ReviewView) -> str | None:
    """The Kepala Dinas's comment on a returned draft; None when the draft was not returned."""
    return f"Dikembalikan oleh Kepala Dinas: “{v.returned_comment}”" if v.returned_comment else None


def file_name(v: reviews.ReviewView, extension: str) -> str:
    return f"evaluasi-{v.sop_id}-{v.period}.{extension}"


def kpi_metrics(v: reviews.ReviewView) -> list[tuple[str, str, str | None]]:
    """The four KPI figures of the quarter as (label, value, note under it)."""
    h = v.kpi["headline"]
    target = h.get("median_target_sum_working_min")
    return [("Berkas masuk", fmt.angka(h.get("cases_started")), None),
            ("Berkas selesai", fmt.angka(h.get("cases_completed")), None),
            ("Langkah dalam mutu baku", pct(h.get("within_pct")), None),
            ("Median lead time", minutes(h.get("median_lead_working_min")),
             None if target is None else f"target {minutes(target)}")]


def skm_metrics(v: reviews.ReviewView) -> list[tuple[str, str, str | None]]:
    """The four SKM figures of the quarter as (label, value, note under it)."""
    s = v.skm
    return [("IKM", "—" if s["ikm"] is None else fmt.angka(s["ikm"], 2), None),
            ("Mutu", "—" if s["mutu"] is None else f"{s['mutu']} · {s['kinerja']}", None),
            ("Responden", fmt.angka(s["respondents"]),
             None if not s["min_sample"] else f"minimal {fmt.angka(s['min_sample'])}"),
            ("Populasi (berkas dibuka)", fmt.angka(s["population"]), None)]


def weakest_line(v: reviews.ReviewView) -> str | None:
    """The SKM element that scored lowest, in a line; None when there is none (no respondent)."""
    weakest = dict(reviews.skm_rows(v)).get("Unsur terendah")
    return f"Unsur terendah: **{weakest}**" if weakest else None


def sample_warning(v: reviews.ReviewView) -> str | None:
    """How many respondents the quarter lacks for the minimum sample; None when it has enough."""
    s = v.skm
    if not (s["min_sample"] and s["respondents"] < s["min_sample"]):
        return None
    return f"Responden kurang {fmt.angka(s['min_sample'] - s['respondents'])} dari sampel minimum (Krejcie–Morgan)."


def answer_index(answer: dict) -> int | None:
    """The choice of :data:`YA_TIDAK` a saved answer selects (None: not answered yet)."""
    return None if answer["ya"] is None else (0 if answer["ya"] else 1)


def answer(choice: str | None, note: str) -> dict:
    """A question's answer as :func:`lib.evaluation.reviews.save_draft` takes it, from the choice and the note."""
    return {"ya": None if choice is None else choice == "Ya", "catatan": note}


def submission_problems(err: Exception) -> list[str]:
    """What stopped a saved draft from being submitted: every missing part of an incomplete review, or the
    one reason of any other refusal."""
    return list(err.problems) if isinstance(err, reviews.IncompleteReview) else [str(err)]
