"""Two parts of *Tugas Saya*: the notice of a running Plh delegation, and completing several files at once."""
from __future__ import annotations

import streamlit as st

from lib.base import delegation, fmt
from lib.casework import bulk, escalation
from lib.casework.cases import CaseError
from lib.ui import context, nav

_RESULT = "_portal_bulk_result"


def plh_notice() -> None:
    """Both sides of a running delegation see it: the deputy (whose list holds the delegator's steps) and the
    delegator."""
    actor = context.actor()
    with context.db()() as session:
        running = [d for d in delegation.listing(session, actor) if d.status == "berjalan"]
    for d in running:
        st.info(f"**{fmt.md(d.label)}** sampai {fmt.waktu(d.ends_at)}.", icon=":material/badge:")
    if running and nav.page("plh") is not None:
        st.page_link(nav.page("plh"), label="Lihat penunjukan Plh", icon=":material/badge:")


def record_escalations(tasks) -> None:
    """Escalated steps shown here are recorded once in their case's history (lib/casework/escalation.py)."""
    ids = [t.case_id for t in tasks if t.escalated]
    if ids:
        with context.db().begin() as session:
            escalation.record_all(session, case_ids=ids)


def bulk_section(tasks) -> None:
    """Pick a step, tick its files, give one outcome: each file is completed as its own step record."""
    shown = st.session_state.pop(_RESULT, None)
    if shown:
        (st.warning if shown.refused else st.success)(shown.message, icon=":material/done_all:")
    with context.db()() as session:
        found = bulk.groups(session, tasks)
    if not found:
        return
    with st.expander("Selesaikan beberapa berkas sekaligus", icon=":material/done_all:", expanded=bool(shown)):
        group = st.selectbox("Langkah", found, format_func=lambda g: g.label, index=None,
                             placeholder="Pilih langkah…", key="massal-langkah")
        if group is None:
            return
        numbers = {no: (case_id, version) for case_id, version, no in group.case_versions}
        with st.form(f"massal-{group.sop_label}-{group.step_no}"):
            chosen = st.multiselect("Berkas", list(numbers), placeholder="Pilih berkas…", key="massal-berkas")
            outcome = group.outcomes[0][0]
            if len(group.outcomes) > 1:
                labels = dict(group.outcomes)
                outcome = st.radio("Hasil", list(labels), format_func=labels.get, horizontal=True, index=None,
                                   key="massal-hasil")
            else:
                st.caption(f"Hasil untuk semua berkas terpilih: {group.outcomes[0][1]}.")
            if not st.form_submit_button("Selesaikan berkas terpilih", type="primary", icon=":material/done_all:"):
                return
        if not chosen:
            st.error("Pilih minimal satu berkas.")
            return
        try:
            result = bulk.complete_many(context.db(), context.actor(), [numbers[n] for n in chosen], group.step_no,
                                        outcome)
        except CaseError as err:
            st.error(str(err))
            return
        st.session_state[_RESULT] = result
        st.rerun()
