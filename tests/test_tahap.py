"""Stages (``tahap``): the pekerja rentan pipeline finds its SOP steps by name, so renumbering them in the
editor moves the pages' step numbers with them; the catalogue refuses an unknown or repeated stage."""
import copy
import re
from pathlib import Path

import pytest

from lib.catalogue import model as catalog
from lib.catalogue import revisions, sop_form
from lib.catalogue.model import CatalogError
from lib.rentan import tahap

from .test_revisions import act
from .test_revisions import db as db  # noqa: F401  (the fixture: users adi, hendra, ...)

ROOT = Path(__file__).resolve().parent.parent
RENTAN = catalog.load_catalog()["pekerja-rentan"]


def test_the_pekerja_rentan_sop_names_every_stage_on_its_own_step():
    assert RENTAN.stage_steps() == {"verifikasi_calon": 8, "daftar_sementara": 9, "surat_konfirmasi": 16,
                                    "jawaban_desa": 17, "pemutakhiran_calon": 19, "cek_bpjs": 20, "hasil_bpjs": 21,
                                    "penggantian": 22, "sk": 24, "pembayaran": 25}
    assert set(RENTAN.stage_steps()) == set(catalog.TAHAP)


def test_every_stage_is_documented_in_the_format_reference():
    doc = (ROOT / "data" / "sop" / "README.md").read_text(encoding="utf-8")
    assert not [t for t in catalog.TAHAP if not re.search(rf"^\| `{t}` \|", doc, re.M)]


def _with_stage(step: int, stage: str) -> dict:
    data = copy.deepcopy(catalog.to_data(RENTAN))
    data["langkah"][step - 1]["tahap"] = stage
    return data


def test_an_unknown_stage_is_refused_naming_the_step():
    with pytest.raises(CatalogError, match=r"langkah 3.*tahap “kirim_surat” tidak dikenal"):
        catalog.parse_document(_with_stage(3, "kirim_surat"), "uji")


def test_a_stage_on_two_steps_is_refused():
    with pytest.raises(CatalogError, match="tahap ganda surat_konfirmasi"):
        catalog.parse_document(_with_stage(7, "surat_konfirmasi"), "uji")


def test_documents_without_stages_keep_their_stored_content():
    for doc in catalog.load_catalog().values():
        if doc.id != "pekerja-rentan":
            assert "tahap" not in str(catalog.to_data(doc))


def test_a_stage_survives_the_editor_tables_and_follows_its_step_when_steps_are_inserted():
    tables = sop_form.to_tables(catalog.to_data(RENTAN))
    new_step = {k: "" for k in tables["langkah"][0]} | {"kegiatan": "Mengarsipkan surat", "pelaksana": "staf",
                                                        "_extra": {}}
    tables["langkah"].insert(2, new_step)
    doc = catalog.parse_document(sop_form.from_tables(tables), "uji")
    assert doc.stage_steps()["surat_konfirmasi"] == 17 and doc.stage_steps()["verifikasi_calon"] == 9


def test_the_pages_step_numbers_follow_a_renumbered_revision_in_force(db):
    with db() as s:
        assert tahap.label(tahap.steps(s), "surat_konfirmasi") == "langkah 16"
        assert tahap.label(tahap.steps(s), *catalog.TAHAP) == "langkah 8–25"
    data = catalog.to_data(RENTAN)
    data["langkah"].insert(0, {"no": 1, "kegiatan": "Menyiapkan data awal", "pelaksana": "staf"})
    for i, step in enumerate(data["langkah"], start=1):
        step["no"] = i
    for step in data["langkah"]:
        for branch in ("ya", "tidak"):
            k = (step.get("keputusan") or {}).get(branch)
            if k and k["ke"] != "selesai":
                k["ke"] += 1
    rev = act(db, "adi", revisions.save_draft, data, "langkah baru di awal")
    act(db, "adi", revisions.submit, rev)
    act(db, "hendra", revisions.approve, rev)
    with db() as s:
        assert tahap.label(tahap.steps(s), "surat_konfirmasi") == "langkah 17"
        assert tahap.label(tahap.steps(s), *catalog.TAHAP) == "langkah 9–26"


def test_a_label_for_stages_the_sop_lacks_is_empty():
    assert tahap.label({}, "sk") == ""
    assert tahap.label({"sk": 23}, "sk", "pembayaran") == "langkah 23"


def test_the_cohort_page_names_its_sop_steps_from_the_stages(app_db):
    from .test_kohort_page import on_tab
    from .test_pages import open_app, texts

    at = open_app("pekerja-rentan-kohort", user="staf")
    assert not at.exception, at.exception
    assert "(SOP langkah 8–25)" in texts(at)
    at = on_tab(at, 1)
    shown = [m.value for m in at.markdown]
    assert "**Catat surat terkirim** (langkah 16)" in shown
