"""Widgets for an SOP's intake form, drawn from its ``formulir`` and ``kelengkapan`` data.

Only widget code lives here; the checking is :func:`lib.casework.forms.validate` (via
:func:`lib.casework.cases.intake`).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from lib.casework.forms import MAX_FILE_MB
from lib.catalogue.model import SOP, Isian
from lib.ui import widgets


def field(f: Isian, key: str, error: str | None = None):
    """One input for ``f``; returns the raw value (validated later, so that every message is the same)."""
    label = f.label + (" *" if f.wajib else "")
    helptext = None  # a help icon is a Tab stop of its own: hints go in the placeholder or under the field
    if f.jenis in ("text", "nik", "number", "money"):
        placeholder = f.bantuan or {"nik": "16 angka", "money": "mis. 1.500.000", "number": "angka"}.get(f.jenis)
        value = st.text_input(label, key=key, placeholder=placeholder,
                              max_chars=24 if f.jenis == "nik" else None)
    elif f.jenis == "date":
        value = st.date_input(label, value=None, key=key, help=helptext, format="DD/MM/YYYY",
                              min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
    elif f.jenis == "select":
        value = st.selectbox(label, f.pilihan, index=None, key=key, help=helptext, placeholder="Pilih…")
    elif f.jenis == "checkbox":
        value = st.checkbox(label, key=key, help=helptext)
    else:  # file
        allowed = f.aturan.berkas if f.aturan and f.aturan.berkas else None
        upload = widgets.file_upload(label, type=allowed, max_mb=MAX_FILE_MB, key=key, help=helptext)
        value = upload
    if f.bantuan and f.jenis not in ("text", "nik", "number", "money"):
        st.caption(f.bantuan)
    if error:
        st.error(error, icon=":material/error:")
    return value


def raw_values(sop: SOP, values: dict) -> dict:
    """Values as :func:`lib.casework.forms.validate` takes them (a file becomes its name and size)."""
    out = {}
    for f in sop.formulir:
        v = values.get(f.nama)
        out[f.nama] = (v.name, v.size) if f.jenis == "file" and v is not None else v
    return out


def checklist(sop: SOP, key: str) -> dict[str, bool]:
    """The kelengkapan checklist as checkboxes, two columns."""
    ticked = {}
    for i, d in enumerate(sop.kelengkapan):
        if i % 2 == 0:
            cols = st.columns(2)
        label = d.label + (" (opsional)" if d.opsional else "")
        helptext = d.syarat or (f"Wajib bila {d.wajib_jika.isian.replace('_', ' ')} lebih dari "
                                f"{d.wajib_jika.lebih_dari:,.0f}".replace(",", ".") if d.wajib_jika else None)
        # its own part of the form's keys: a checklist item may share its code with a field (``email``)
        ticked[d.kode] = cols[i % 2].checkbox(label + (f" — {helptext}" if helptext else ""),
                                              key=f"{key}-kelengkapan-{d.kode}")
    return ticked
