"""The findings (temuan) of a quarterly SOP review as rows of inputs in the review's form: each row with its own
*Hapus* button, a *Tambah temuan* button below, the rows kept in the session until the draft is saved."""
from __future__ import annotations

import streamlit as st

from lib.evaluation import reviews


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
