"""Tugas Saya: the steps waiting for my roles, oldest first, with time left against mutu baku."""
import pandas as pd
import streamlit as st

from lib.base import fmt
from lib.base.mutu_baku import format_working_minutes as duration
from lib.casework import worklist
from lib.ui import context, nav, tugas_massal, widgets

COLOURS = {"Terlambat": "background-color: #fde2e1", "Segera jatuh tempo": "background-color: #fff1d6"}


def render() -> None:
    widgets.header("Tugas Saya", "Langkah yang menunggu peran Anda, yang terlama di atas. Waktu dihitung dalam "
                   "waktu kerja (Senin–Jumat, jam kerja, di luar hari libur).")
    tugas_massal.plh_notice()
    with context.db()() as session:
        tasks = worklist.tasks(session, context.actor())
    tugas_massal.record_escalations(tasks)
    if not tasks:
        st.info("Tidak ada langkah yang menunggu Anda. Permohonan baru dibuka dari halaman SOP-nya.")
        st.page_link(nav.page("beranda"), label="Ke katalog SOP", icon=":material/home:")
        return
    counts = {s: sum(t.status == s for t in tasks) for s in worklist.STATUS_LABELS}
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Menunggu", len(tasks))
    c2.metric("Terlambat", counts["terlambat"])
    c3.metric("Segera jatuh tempo", counts["segera"], help="Lebih dari separuh target waktu sudah terpakai.")
    c4.metric("Menunggu pemohon", counts["menunggu_pemohon"], help="Berkas dikembalikan untuk dilengkapi.")
    sops = sorted({t.sop_label for t in tasks})
    chosen = st.multiselect("SOP", sops, placeholder="Semua SOP", key="tugas-sop")
    shown = [t for t in tasks if not chosen or t.sop_label in chosen]
    tugas_massal.bulk_section(shown)
    # What a user acts on first, in 1366 px without scrolling sideways: the step, its target, the time used
    # and left; the row's box opens it. Where it comes from (register, SOP, applicant) follows.
    rows = [{"Status": worklist.STATUS_LABELS[t.status], "Langkah": f"{t.step_no}. {t.kegiatan}",
             "Target": t.target.label() if t.target else "—", "Terpakai": _short(t.clock.age_working_min),
             "Sisa waktu": _left(t), "No. register": t.register_no, "SOP": t.sop_label, "Pelaksana": t.pelaksana,
             "Pemohon": t.applicant_name or "—", "Tersedia sejak": fmt.waktu(t.available_at),
             "Keterangan": _note(t)} for t in shown]
    st.caption("Klik kotak di awal baris untuk membuka langkahnya. Waktu dalam waktu kerja.")
    table = pd.DataFrame(rows).style.map(lambda v: COLOURS.get(v, ""), subset=["Status"]) if rows else rows
    text = st.column_config.TextColumn
    nav.open_case_on_select(widgets.grid(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="tugas-tabel",
        config={"Status": text(width=130), "Langkah": text(width=300, pinned=True), "Target": text(width=90),
                       "Terpakai": text(width=130), "Sisa waktu": text(width=150), "No. register": text(width=140)}),
        [t.case_id for t in shown])


def _note(task: worklist.Task) -> str:
    """As Plh, escalated to me, or held by whom."""
    parts = [task.plh or "", "eskalasi: lewat 2× target" if task.escalated else "",
             f"dipegang {task.holder}" if task.holder else ""]
    return "; ".join(p for p in parts if p) or "—"


def _short(minutes) -> str:
    """A working duration without the trailing "kerja" (the page says the times are working time)."""
    return duration(minutes).removesuffix(" kerja")


def _left(task: worklist.Task) -> str:
    c = task.clock
    if c.left_working_min is not None:
        return _short(c.left_working_min) if c.left_working_min >= 0 else "lewat " + _short(-c.left_working_min)
    if c.due is not None:
        return ("jatuh tempo " if c.status != "terlambat" else "lewat, jatuh tempo ") + fmt.waktu(c.due)
    return "—"
