"""The inputs of a quarterly SOP review's form: the seven questions; the findings (temuan) as rows of inputs,
each row with its own *Hapus* button, a *Tambah temuan* button below, the rows kept in the session until the
draft is saved; and the semester's monitoring of the SOP's steps as an editable table."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.evaluation import review_page, reviews
from lib.ui import widgets


def questions(v: reviews.ReviewView, k: str) -> list[dict]:
    """The seven questions, each a Ya/Tidak choice beside its note; returns the answers as the draft takes them."""
    st.subheader("Tujuh pertanyaan evaluasi", anchor=False)
    answers = []
    for i, (q, a) in enumerate(zip(reviews.PERTANYAAN, v.answers), start=1):
        c1, c2 = st.columns([3, 2])
        ya = c1.radio(f"{i}. {q}", list(review_page.YA_TIDAK), horizontal=True, key=f"eval-q{i}-{k}",
                      index=review_page.answer_index(a))
        note = c2.text_input("Catatan", a["catatan"], key=f"eval-n{i}-{k}", max_chars=reviews.MAX_NOTE,
                             placeholder="wajib bila Tidak")
        answers.append(review_page.answer(ya, note))
    return answers


def rows(v: reviews.ReviewView, k: str) -> tuple[list[dict], tuple[str, int] | None]:
    """The findings as rows of inputs, each with its own *Hapus* button, and a *Tambah temuan* button; the
    rows live in the session until the draft is saved. Returns the rows and the button pressed, if any."""
    ids = st.session_state.setdefault(f"_eval_rows_{k}", list(range(len(v.findings))))
    st.subheader("Temuan dan tindak lanjut", anchor=False)
    rows, change = [], None
    for n, uid in enumerate(ids, start=1):
        f = v.findings[uid] if uid < len(v.findings) else reviews.Finding("")
        with st.container(border=True):
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(f"**Temuan {n}**")
            if c2.form_submit_button(f"Hapus temuan {n}", icon=":material/delete:", key=f"eval-fdel-{k}-{uid}",
                                     type="tertiary"):
                change = ("hapus", uid)
            temuan = st.text_area(f"Temuan {n}", f.temuan, key=f"eval-ft-{k}-{uid}", max_chars=reviews.MAX_TEXT,
                                  height=80, label_visibility="collapsed", placeholder="Apa yang ditemukan")
            a, b, c = st.columns([2, 1, 1])
            rows.append({"temuan": temuan,
                         "tindak_lanjut": a.text_input("Tindak lanjut", f.tindak_lanjut or "",
                                                       key=f"eval-ftl-{k}-{uid}", max_chars=reviews.MAX_TEXT),
                         "penanggung_jawab": b.text_input("Penanggung jawab", f.penanggung_jawab or "",
                                                          key=f"eval-fpj-{k}-{uid}", max_chars=200),
                         "batas_waktu": c.date_input("Batas waktu", f.batas_waktu, key=f"eval-fbw-{k}-{uid}",
                                                     format="DD/MM/YYYY")})
    if not ids:
        st.caption("Belum ada temuan. Jawaban Tidak memerlukan paling sedikit satu temuan dengan tindak lanjutnya.")
    if st.form_submit_button("Tambah temuan", icon=":material/add:", key=f"eval-fadd-{k}"):
        change = ("tambah", 0)
    st.caption("Temuan yang ditambah atau dihapus tersimpan saat draf disimpan.")
    return rows, change


def apply(k: str, change: tuple[str, int]) -> None:
    """Add or remove a row after a button of :func:`rows` was pressed, then rerun the page."""
    ids = st.session_state[f"_eval_rows_{k}"]
    what, uid = change
    if what == "hapus":
        ids.remove(uid)
    else:
        counter = f"_eval_next_{k}"  # new rows never take the number of a saved one, nor of a removed one
        st.session_state[counter] = st.session_state.get(counter, 1_000_000) + 1
        ids.append(st.session_state[counter])
    st.rerun()


def monitoring(v: reviews.ReviewView, k: str) -> list[dict]:
    """The semester's monitoring as an editable table, one row per step; returns the entries as edited."""
    st.subheader("Monitoring pelaksanaan SOP (semesteran)", anchor=False)
    config = {"no": st.column_config.NumberColumn("Langkah", width=70),
              "kegiatan": st.column_config.TextColumn("Kegiatan", width=360),
              "pelaksanaan": st.column_config.SelectboxColumn("Pelaksanaan", options=list(reviews.BERJALAN.values()),
                                                              width=200),
              "catatan": st.column_config.TextColumn("Catatan", width=170),
              "tindakan": st.column_config.TextColumn("Tindakan", width=170)}
    edited = widgets.editor(pd.DataFrame(reviews.monitoring_rows(v.monitoring)), num_rows="fixed", hide_index=True,
                            width="stretch", key=f"eval-m-{k}", disabled=["no", "kegiatan"], config=config)
    return reviews.monitoring_from_rows(edited.to_dict("records"))
