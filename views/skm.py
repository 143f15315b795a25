"""Survei Kepuasan Masyarakat (SKM): public, no login, phone-sized; also a kiosk at the counter."""
import time

import streamlit as st

from lib.base import config, fmt
from lib.evaluation import skm, skm_data
from lib.ui import context, data, widgets

_SENT = "_skm_sent"     # timestamps of this browser session's answers (the limit is per session)
_DONE = "_skm_done"
_FORM = "_skm_form_n"
_ERROR = "_skm_error"   # the message of the last refused sheet, shown beside the submit button


def _agency(ids: list[str], wanted: str | None) -> str | None:
    """The agency's name from the setting; otherwise that of the service asked for, or of every service."""
    name = config.agency_name()
    if name:
        return name
    docs = data.documents()
    names = [docs[i].doc.instansi for i in ([wanted] if wanted in ids else ids) if i in docs and docs[i].doc.instansi]
    return " · ".join(dict.fromkeys(names)) or None


def render() -> None:
    with context.db()() as session:
        offered = skm_data.services(session)
    wanted = st.query_params.get("layanan")
    ids = list(offered)
    agency = _agency(ids, wanted)
    widgets.header("Survei Kepuasan Masyarakat")
    if agency:
        st.markdown(f"**{fmt.md(agency)}**")
    st.caption("Penilaian Anda membantu kami memperbaiki layanan. Tanpa login, tanpa nama; jawaban tidak dapat "
               "diubah setelah dikirim.")
    if st.session_state.pop(_DONE, False):
        st.success("Terima kasih. Penilaian Anda sudah kami terima.", icon=":material/favorite:")
        st.button("Isi survei untuk pengguna layanan berikutnya", icon=":material/refresh:")
        return
    if not offered:
        st.info("Belum ada layanan yang dapat dinilai.")
        return
    n = st.session_state.setdefault(_FORM, 0)
    with st.form(f"skm-{n}"):
        layanan = st.selectbox("Layanan yang Anda terima", ids, index=ids.index(wanted) if wanted in ids else None,
                               format_func=offered.get, placeholder="Pilih layanan…")
        answers = {}
        for i, u in enumerate(skm.UNSUR, start=1):
            answers[u.kode] = st.radio(f"{i}. {u.pertanyaan}", [4, 3, 2, 1], index=None, key=f"skm-{n}-{u.kode}",
                                       format_func=lambda v, u=u: u.pilihan[v - 1])
        st.markdown("**Tentang Anda** (opsional)")
        c1, c2 = st.columns(2)
        profile = {"jenis_kelamin": c1.selectbox("Jenis kelamin", skm.JENIS_KELAMIN, index=None, placeholder="—"),
                   "usia": c2.selectbox("Usia", skm.USIA, index=None, placeholder="—"),
                   "pendidikan": c1.selectbox("Pendidikan", skm.PENDIDIKAN, index=None, placeholder="—"),
                   "pekerjaan": c2.selectbox("Pekerjaan", skm.PEKERJAAN, index=None, placeholder="—")}
        saran = st.text_area("Saran atau masukan (opsional)", max_chars=skm_data.MAX_SARAN,
                             placeholder="Boleh dikosongkan.")
        error = st.session_state.pop(_ERROR, None)
        if error:
            st.error(error, icon=":material/error:")
        sent = st.form_submit_button("Kirim penilaian", type="primary", icon=":material/send:",
                                     width="stretch")
    if not sent:
        return
    recent = [t for t in st.session_state.get(_SENT, []) if time.time() - t < 3600]
    if len(recent) >= skm_data.SESSION_LIMIT_PER_HOUR:
        st.error("Terlalu banyak penilaian dari perangkat ini dalam satu jam. Silakan coba lagi nanti.")
        return
    try:
        with context.db().begin() as session:
            skm_data.submit(session, layanan, answers, profile, saran)
    except skm_data.SurveyError as err:
        st.session_state[_ERROR] = str(err)  # drawn again inside the form, just above the submit button
        st.rerun()
    st.session_state[_SENT] = [*recent, time.time()]
    st.session_state[_FORM] = n + 1  # a blank sheet for the next citizen at a kiosk
    st.session_state[_DONE] = True
    st.rerun()
