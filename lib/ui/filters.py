"""The reporting-period picker shared by the dashboard and the SKM results (month, quarter, year, range)."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from lib.base import periode
from lib.base.worktime import WIB

KINDS = ["Bulan", "Bulan lalu", "Triwulan", "Tahun", "Rentang tanggal"]


def period(kind_col, value_col, key: str, default_kind: str = "Bulan",
           range_from_year_start: bool = False) -> periode.Periode:
    """A period kind in ``kind_col`` and its value in ``value_col``; stops the page until a range is complete."""
    kind = kind_col.selectbox("Periode", KINDS, index=KINDS.index(default_kind), key=f"{key}-kind",
                              placeholder="Pilih…")
    today = dt.datetime.now(WIB).date()
    if kind == "Bulan":
        return value_col.selectbox("Bulan", periode.recent_months(today), format_func=lambda p: p.label,
                                   key=f"{key}-month", placeholder="Pilih…")
    if kind == "Bulan lalu":  # a shortcut for the monthly report: the whole previous month
        last = periode.last_month(today)
        value_col.selectbox("Bulan", [last], format_func=lambda p: p.label, key=f"{key}-last", disabled=True,
                            placeholder="Pilih…")
        return last
    if kind == "Triwulan":
        return value_col.selectbox("Triwulan", periode.recent_quarters(today), format_func=lambda p: p.label,
                                   key=f"{key}-quarter", placeholder="Pilih…")
    if kind == "Tahun":
        return value_col.selectbox("Tahun", [periode.year(y) for y in range(today.year, today.year - 4, -1)],
                                   format_func=lambda p: p.label, key=f"{key}-year", placeholder="Pilih…")
    start = today.replace(month=1, day=1) if range_from_year_start else today.replace(day=1)
    span = value_col.date_input("Rentang tanggal", (start, today), format="DD/MM/YYYY", key=f"{key}-range")
    if len(span) != 2:
        st.info("Pilih tanggal awal dan akhir.")
        st.stop()
    return periode.custom(*span)
