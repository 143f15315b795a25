"""Dasbor kinerja: real step times against mutu baku, bottlenecks, late files, drill-down to the cases."""
import streamlit as st

from lib.base import fmt, periode
from lib.base.permissions import has_permission
from lib.base.roles import ROLES
from lib.base.sheets import XLSX_MIME, frame_workbook
from lib.measure import charts, kpi, kpi_tables
from lib.ui import context, data, filters, widgets


def render() -> None:
    actor = context.actor()
    sops = {i: a.doc for i, a in data.documents().items()
            if a.doc.jenis == "sop" and has_permission(actor, "view_dashboard", a.doc.scope)}
    widgets.header("Dasbor kinerja SOP", "Waktu nyata setiap langkah dibandingkan dengan mutu baku SOP, dalam "
                   "waktu kerja (1 hari = 450 menit kerja).")
    if not sops:
        st.info("Tidak ada SOP dalam cakupan Anda.")
        return
    chosen, per, bidang, role = _filters(sops)
    with st.spinner("Menghitung…"):
        board = data.kpi_dashboard(per.start, per.end, tuple(chosen or sops), bidang, role)
    _headline(board.headline, per, one_sop=len(board.data.sops) == 1)
    # Only the open tab is computed and drawn (lazy tabs): the page opens on the bottleneck list.
    names = ["Hambatan dan berkas terlambat", "Per langkah", "Tren", "Pekerjaan terbuka", "Per peran", "Per kanal"]
    tabs = st.tabs(names, key="kpi-tab", on_change="rerun")
    if tabs[0].open:
        with tabs[0]:
            _bottlenecks(board, sops)
            _late_download(board, sops, per)
    if tabs[1].open or tabs[2].open:
        with st.spinner("Menghitung riwayat 12 bulan…"):
            history = data.kpi_history(periode.trailing_months(per.end).start, per.end, tuple(chosen or sops),
                                       bidang, role)
    if tabs[1].open:
        with tabs[1]:
            _per_step(board, history, sops)
    if tabs[2].open:
        with tabs[2]:
            st.plotly_chart(charts.trend(kpi.monthly_trend(history)), width="stretch")
            st.caption(kpi.DEFINISI["tepat_waktu"])
    if tabs[3].open:
        with tabs[3]:
            _open_work(board, sops)
    if tabs[4].open:
        with tabs[4]:
            st.plotly_chart(charts.workload(board.roles), width="stretch")
            widgets.grid(kpi_tables.role_table(board.roles), hide_index=True, width="stretch")
    if tabs[5].open:
        with tabs[5]:
            _channels(board)


def _channels(board) -> None:
    channels = kpi.channel_stats(board.data, board.cases)
    if channels.empty:
        st.info("Tidak ada layanan dengan beberapa kanal di antara SOP yang dipilih.")
        return
    st.markdown("**Kanal layanan berdampingan** (satu SOP per kanal, mis. loket, bank, online, agen)")
    widgets.grid(kpi_tables.channel_table(channels), hide_index=True, width="stretch")
    st.caption("Lead time: dari berkas dibuka sampai selesai, untuk berkas yang selesai pada periode ini. "
               + kpi.DEFINISI["tepat_waktu"])


def _filters(sops):
    c1, c2, c3 = st.columns([3, 1, 2])
    chosen = c1.multiselect("SOP", list(sops), format_func=lambda i: sops[i].label, placeholder="Semua SOP",
                            key="kpi-sop")
    per = filters.period(c2, c3, "kpi")
    c4, c5, _ = st.columns([1, 1, 2])
    bidangs = sorted({d.bidang for d in sops.values() if d.bidang})
    bidang = c4.selectbox("Bidang", [None, *bidangs], format_func=lambda b: "Semua bidang" if b is None else
                          b.replace("-", " ").title(), key="kpi-bidang", placeholder="Pilih…")
    roles = [r for r in ROLES if r not in ("admin", "evaluator")]
    role = c5.selectbox("Peran pelaksana", [None, *roles], format_func=lambda r: "Semua peran" if r is None else
                        ROLES[r], key="kpi-role", placeholder="Pilih…")
    return chosen, per, bidang, role


def _headline(h: kpi.Headline, per, one_sop: bool) -> None:
    st.caption(f"Periode: **{per.label}** ({fmt.tanggal(per.start)} – {fmt.tanggal(per.end)}). "
               "Pekerjaan terbuka dihitung saat ini.")
    c = st.columns(5)
    c[0].metric("Berkas masuk", fmt.angka(h.cases_started))
    c[1].metric("Berkas selesai", fmt.angka(h.cases_completed))
    c[2].metric("Berkas terbuka", fmt.angka(h.open_cases), delta=f"{fmt.angka(h.overdue_cases)} terlambat",
                delta_color="inverse" if h.overdue_cases else "off", help=kpi.DEFINISI["terbuka"])
    c[3].metric("Langkah dalam mutu baku", "—" if h.within_pct is None else f"{fmt.angka(h.within_pct, 1)}%",
                help=kpi.DEFINISI["tepat_waktu"] + f" Dinilai: {fmt.angka(h.judged_runs)} langkah.")
    lead, target = h.median_lead_working_min, h.median_target_sum_working_min
    # the sum of the targets is one SOP's figure: pooled over several SOPs it would compare nothing
    c[4].metric("Median waktu selesai", "—" if lead is None else kpi_tables.minutes_short(lead),
                delta=f"target {kpi_tables.minutes_short(target)}" if one_sop and lead is not None
                and target is not None else None, delta_color="off", delta_arrow="off",
                help=kpi.DEFINISI["lead_time"])


def _step_name(sops, sop_id, no, kegiatan) -> str:
    return f"{sops[sop_id].label} · L{no}. {kegiatan}"


def _bottlenecks(board, sops) -> None:
    b = board.bottlenecks.head(15).reset_index(drop=True)
    if b.empty:
        st.success("Tidak ada langkah yang mediannya melewati mutu baku pada periode ini.")
        return
    st.markdown("**Langkah yang paling melewati mutu baku** (kelebihan median × jumlah langkah). "
                "Klik satu baris untuk melihat berkasnya yang terlambat.")
    table = kpi_tables.bottleneck_table(b, [_step_name(sops, i, n, k) for i, n, k in
                                            zip(b["sop_id"], b["step_no"], b["kegiatan"])])
    # a click on the row's box or on any of its cells opens the step's late cases
    event = widgets.grid(table, hide_index=True, width="stretch", key="kpi-rank", on_select="rerun",
                         selection_mode=["single-row", "single-cell"],
                         config={"Peringkat": st.column_config.NumberColumn("No.", width=40),
                                        "Langkah": st.column_config.TextColumn(width="large")})
    rows = list(event.selection.rows) or [cell[0] for cell in event.selection.cells]
    if rows and rows[0] < len(b):
        _late_cases(board, sops, b.at[rows[0], "sop_id"], int(b.at[rows[0], "step_no"]), b.at[rows[0], "kegiatan"])


def _late_cases(board, sops, sop_id: str, step_no: int, kegiatan: str) -> None:
    actor = context.actor()
    with context.db()() as session:
        late = kpi.breaches(session, actor, board.data, sop_id, step_no)
    names = has_permission(actor, "export_personal_data", sops[sop_id].scope)
    table = kpi_tables.breach_table(late, names).drop(columns=["SOP", "Langkah", "Kegiatan"])
    st.markdown(f"**Berkas terlambat pada {fmt.md(_step_name(sops, sop_id, step_no, kegiatan))}** "
                f"({fmt.angka(len(table))})")
    when = st.column_config.DatetimeColumn(format="DD/MM/YY HH:mm")
    widgets.grid(table, hide_index=True, width="stretch", key="kpi-late",
                 config={"Tersedia": when, "Mulai": when, "Selesai": when})


def _late_download(board, sops, per) -> None:
    """Every late run of the filter, every step, in one sheet (logged: it may hold applicants' names)."""
    actor = context.actor()
    names = all(has_permission(actor, "export_personal_data", sops[i].scope) for i in board.data.sops)
    if not st.button("Siapkan unduhan XLSX semua berkas terlambat", icon=":material/download:", key="kpi-late-xlsx",
                     help="Semua langkah pada filter ini, satu lembar. Unduhan dicatat di log audit."
                     + ("" if names else " Nama pemohon tidak ikut diunduh.")):
        return
    with context.db().begin() as session:
        late = kpi.breaches(session, actor, board.data)
        kpi.record_export(session, actor, late)
    table = kpi_tables.breach_table(late, names, {i: d.label for i, d in sops.items()})
    st.download_button(f"Unduh {fmt.angka(len(table))} berkas terlambat (XLSX)", frame_workbook(
        {"Berkas terlambat": table}, f"Berkas yang melewati mutu baku, {per.label}"),
        file_name=f"berkas-terlambat-{per.start:%Y%m%d}-{per.end:%Y%m%d}.xlsx", mime=XLSX_MIME, key="kpi-late-dl")


def _per_step(board, history, sops) -> None:
    sop_id = st.selectbox("SOP", list(sops), format_func=lambda i: sops[i].label, key="kpi-step-sop",
                          placeholder="Pilih…")
    mine = board.steps[board.steps["sop_id"] == sop_id]
    if mine["n"].sum() == 0:
        st.info("Belum ada langkah SOP ini yang selesai pada periode ini.")
    else:
        st.plotly_chart(charts.step_times(mine, sops[sop_id].label), width="stretch")
    table = kpi.step_month_table(history)
    rows = [i for i in table.index if i[0] == sop_id] if not table.empty else []
    if rows:
        labels = {i: f"L{i[1]}" for i in rows}
        st.plotly_chart(charts.step_month_heatmap(table.loc[rows], labels, "% langkah dalam mutu baku per bulan"),
                        width="stretch")
    widgets.grid(kpi_tables.step_table(mine), hide_index=True, width="stretch")
    with st.expander("Definisi angka"):
        st.markdown("\n".join(f"- {v}" for v in kpi.DEFINISI.values()))


def _open_work(board, sops) -> None:
    ow = board.open_work
    if ow.empty:
        st.success("Tidak ada pekerjaan terbuka.")
        return
    st.plotly_chart(charts.ageing(ow), width="stretch")
    late = ow[ow["status"] != "normal"].sort_values("used_pct", ascending=False)
    st.markdown(f"**{len(late)} langkah terlambat atau segera jatuh tempo**")
    widgets.grid(kpi_tables.open_table(late, {i: d.label for i, d in sops.items()}), hide_index=True,
                 width="stretch")

