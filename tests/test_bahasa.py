"""Everything a user reads is Indonesian, Streamlit's own texts included. Streamlit has no locale setting, so
every widget that would show an English default gets an Indonesian one through a parameter: checked here over
the source of the pages (views/, lib/ui/), and by AppTest where a page draws it. The browser test
tests/browser/test_bahasa_browser.py reads what the pages show; grid cells are drawn on a canvas, so their
headers and empty cells are checked here."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.base.permissions import Actor, Grant
from lib.base.roles import scope_label
from lib.catalogue import sop_form
from lib.ui import widgets

from .test_pages import open_app

ROOT = Path(__file__).resolve().parents[1]
PAGE_SOURCES = sorted([*ROOT.glob("views/*.py"), *ROOT.glob("lib/ui/*.py"), ROOT / "Home.py"])


def _calls(*names: str):
    """Every call ``<anything>.<name>(...)`` in the pages' source, with its file and line."""
    for path in PAGE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node, {k.arg for k in node.keywords}


def test_every_grid_gets_a_label_for_every_column_and_an_indonesian_empty_cell():
    calls = list(_calls("dataframe", "data_editor"))
    assert calls, "no grid found: the test reads the wrong files"
    bad = [where for where, _, kws in calls if not {"column_config", "placeholder"} <= kws]
    assert not bad, f"st.dataframe/st.data_editor without column_config and placeholder (use widgets.grid): {bad}"


def test_every_selectbox_and_multiselect_has_an_indonesian_placeholder():
    bad = [where for where, _, kws in _calls("selectbox", "multiselect") if "placeholder" not in kws]
    assert not bad, f"selectbox/multiselect without placeholder= (Streamlit shows “Choose an option”): {bad}"


def test_every_file_uploader_goes_through_the_one_with_indonesian_instructions():
    outside = [where for where, _, _ in _calls("file_uploader") if not where.startswith("lib/ui/widgets.py")]
    assert not outside, f"st.file_uploader outside widgets.file_upload (no Indonesian caption): {outside}"


def test_column_labels_give_raw_field_names_their_indonesian_headers():
    frame = pd.DataFrame(columns=["ya_ke", "wajib_jika_isian", "Tanggal"])
    config = widgets.column_labels(frame.columns, sop_form.COLUMN_LABELS,
                                   Tanggal=st.column_config.DateColumn("Tanggal masuk"))
    assert {c: config[c]["label"] for c in frame.columns} == {
        "ya_ke": "Ya → langkah", "wajib_jika_isian": "Wajib jika isian", "Tanggal": "Tanggal masuk"}


def test_every_editor_table_column_has_an_indonesian_header():
    columns = {*sop_form.PELAKSANA, *sop_form.LANGKAH, *sop_form.FORMULIR, *sop_form.KELENGKAPAN}
    assert columns <= set(sop_form.COLUMN_LABELS), columns - set(sop_form.COLUMN_LABELS)


def test_a_local_role_reads_as_a_name_not_a_scope_code():
    actor = Actor(1, "kabid", "Budi", frozenset({Grant("kepala_bidang", "bidang:tenaga-kerja"),
                                                 Grant("operator_desa", "desa:karang-dalo")}))
    assert actor.role_titles() == ["Kepala Bidang (Bidang Tenaga Kerja)", "Operator Desa/Kelurahan (Karang Dalo)"]
    assert scope_label("bidang:jaminan-sosial") == "Bidang Jaminan Sosial"


def test_the_editor_lists_sops_by_title_and_keeps_the_id_as_value(app_db):
    at = open_app("editor-sop", user="admin")
    chooser = at.selectbox(key="ed-sop")
    assert chooser.value == "iuran-jasa-konstruksi"
    assert "kartu-ak1" not in chooser.options
    assert any("AK1" in o for o in chooser.options), chooser.options
