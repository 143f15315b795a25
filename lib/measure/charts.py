"""Plotly figures of the KPI dashboard: Indonesian labels, Indonesian number format (``1.234,5``).

Pure functions from the KPI engine's frames (:mod:`lib.kpi`) to figures; no Streamlit.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.base.roles import ROLES

SEPARATORS = ",."  # decimal comma, thousands dot
FONT = dict(family="Source Sans Pro, sans-serif", size=13)
GREEN, AMBER, RED, BLUE, GREY = "#2e7d32", "#f9a825", "#c62828", "#0b5394", "#9ca3af"


def style_figure(fig: go.Figure, title: str, height: int = 380, **more) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0, font=dict(size=15)), separators=SEPARATORS, font=FONT,
                      height=height, margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2),
                      plot_bgcolor="white", **more)
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#e5e7eb")
    return fig


def step_times(steps: pd.DataFrame, sop_label: str) -> go.Figure:
    """Median and p90 processing time per step against its target (working minutes, log scale)."""
    s = steps.sort_values("step_no")
    x = [f"L{n}" for n in s["step_no"]]
    hover = [f"Langkah {n}: {k}" for n, k in zip(s["step_no"], s["kegiatan"])]
    fig = go.Figure()
    fig.add_bar(x=x, y=s["median_working_min"], name="Median", marker_color=BLUE, hovertext=hover,
                hovertemplate="%{hovertext}<br>Median %{y:,.0f} menit kerja<extra></extra>")
    fig.add_bar(x=x, y=s["p90_working_min"], name="P90", marker_color="#93c5fd", hovertext=hover,
                hovertemplate="%{hovertext}<br>P90 %{y:,.0f} menit kerja<extra></extra>")
    fig.add_scatter(x=x, y=s["target_working_min"], name="Target (mutu baku)", mode="markers",
                    marker=dict(symbol="line-ew-open", size=34, line=dict(width=3, color=RED)),
                    hovertemplate="Target %{y:,.0f} menit kerja<extra></extra>")
    style_figure(fig, f"Waktu proses per langkah — {sop_label}", barmode="group")
    fig.update_yaxes(type="log", title="menit kerja (skala log)")
    return fig


def step_month_heatmap(table: pd.DataFrame, labels: dict[int, str], title: str) -> go.Figure:
    """% within target per step (rows) and month (columns); empty cells had no judged run."""
    months = list(table.columns)
    rows = list(table.index)
    z = table.to_numpy(dtype=float)
    text = [["" if pd.isna(v) else f"{v:.0f}".replace(".", ",") for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=months, y=[labels.get(r, str(r)) for r in rows], zmin=0, zmax=100,
                               colorscale=[[0, RED], [0.6, AMBER], [0.85, "#a5d6a7"], [1, GREEN]], text=text,
                               texttemplate="%{text}", colorbar=dict(title="% tepat"),
                               hovertemplate="%{y}<br>%{x}: %{z:.1f}% dalam target<extra></extra>"))
    style_figure(fig, title, height=max(300, 28 * len(rows) + 120))
    fig.update_yaxes(autorange="reversed", gridcolor="white")
    return fig


def trend(trend: pd.DataFrame) -> go.Figure:
    """% of steps within target per month, with the number of steps completed."""
    fig = go.Figure()
    fig.add_bar(x=trend["month"], y=trend["completed_runs"], name="Langkah selesai", marker_color="#dbeafe",
                yaxis="y2", hovertemplate="%{x}: %{y:,.0f} langkah selesai<extra></extra>")
    fig.add_scatter(x=trend["month"], y=trend["within_pct"], name="% dalam mutu baku", mode="lines+markers",
                    line=dict(color=BLUE, width=3), hovertemplate="%{x}: %{y:.1f}%<extra></extra>")
    style_figure(fig, "Kepatuhan terhadap mutu baku per bulan",
            yaxis=dict(title="% dalam mutu baku", range=[0, 100], gridcolor="#e5e7eb"),
            yaxis2=dict(title="langkah selesai", overlaying="y", side="right", showgrid=False))
    return fig


def workload(roles: pd.DataFrame) -> go.Figure:
    """Steps completed in the period and open now, per role."""
    r = roles.assign(label=roles["role"].map(lambda x: ROLES.get(x, x or "—")))
    fig = go.Figure()
    fig.add_bar(x=r["label"], y=r["completed"], name="Selesai dalam periode", marker_color=BLUE)
    fig.add_bar(x=r["label"], y=r["open"] - r["open_overdue"], name="Terbuka", marker_color=AMBER)
    fig.add_bar(x=r["label"], y=r["open_overdue"], name="Terbuka, terlambat", marker_color=RED)
    return style_figure(fig, "Beban kerja per peran", barmode="stack")


AGE_BUCKETS = [(0, 60, "< 1 jam"), (60, 450, "1 jam – 1 hari"), (450, 2250, "1–5 hari"), (2250, 9000, "1–4 minggu"),
               (9000, float("inf"), "> 4 minggu")]


def ageing(open_work: pd.DataFrame) -> go.Figure:
    """Open steps by age (working time since available) and status."""
    age = open_work["age_working_min"]
    labels = [b[2] for b in AGE_BUCKETS]
    bucket = pd.cut(age, [b[0] for b in AGE_BUCKETS] + [float("inf")], right=False, labels=labels)
    fig = go.Figure()
    for status, name, colour in (("normal", "Normal", GREEN), ("segera", "Segera jatuh tempo", AMBER),
                                 ("terlambat", "Terlambat", RED)):
        counts = bucket[open_work["status"] == status].value_counts().reindex(labels, fill_value=0)
        fig.add_bar(x=labels, y=counts.values, name=name, marker_color=colour)
    style_figure(fig, "Umur pekerjaan terbuka (waktu kerja sejak tersedia)", barmode="stack")
    fig.update_yaxes(title="langkah")
    return fig
