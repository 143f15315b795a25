"""The BPU contribution: one rule (lib/base/iuran.py) for the calculator page, the command line, the BPU intake
form and the pekerja-rentan budget."""
import json
from decimal import Decimal

import pytest

from lib.base import iuran
from lib.casework import forms
from lib.catalogue import model
from lib.rentan.anggaran import Iuran

from .cli import run, run_process


def test_at_the_minimum_income_the_contribution_is_16800_and_36800_with_jht():
    assert iuran.hitung_bpu(1_000_000).as_dict() == {"penghasilan": 1_000_000, "jkk": 10_000, "jkm": 6_800, "jht": 0,
                                                     "total": 16_800}
    assert iuran.hitung_bpu("Rp 1.000.000", jht=True).total == 36_800
    assert iuran.hitung_bpu(20_700_000).jkk == 207_000


@pytest.mark.parametrize(("value", "words"), [("abc", "bukan angka"), (-5, "lebih dari 0"), (0, "lebih dari 0"),
                                              (999_999, "paling sedikit Rp1.000.000"),
                                              (20_700_001, "paling banyak Rp20.700.000"), ("1.000.000,50", "utuh")])
def test_an_income_outside_the_rules_is_refused_in_indonesian(value, words):
    with pytest.raises(iuran.IuranError, match=words):
        iuran.hitung_bpu(value)


def test_the_command_line_gives_the_seeds_figure_and_exit_2_for_bad_input(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    out = run_process("iuran", "bpu", "--penghasilan", "1000000", "--jht", "--json", url=url)
    assert out.returncode == 0
    assert json.loads(out.stdout) == {"penghasilan": 1_000_000, "jkk": 10_000, "jkm": 6_800, "jht": 20_000,
                                      "total": 36_800}
    for bad in ("sejuta", "500000"):
        out = run("iuran", "bpu", "--penghasilan", bad, url=url)
        assert out.returncode == 2 and "Galat: Penghasilan" in out.stderr and "Traceback" not in out.stderr


def test_the_pekerja_rentan_budget_uses_the_same_rule():
    basis = Iuran(1_500_000, Decimal("1"), 6_800)
    assert basis.per_bulan == iuran.hitung_bpu(1_500_000).total == 21_800
    assert Iuran().per_bulan == 16_800


def test_the_bpu_intake_form_checks_the_income_and_gives_the_contribution():
    sop = model.load_catalog()["pendaftaran-bpu"]
    values = {"nama": "Sri", "nik": "3201014101900002", "email": "sri@contoh.id", "no_hp": "081234567890",
              "pekerjaan": "Pedagang", "penghasilan": "1.000.000", "ikut_jht": True}
    result = forms.validate(sop, values, {"ktp": True, "email": True, "no_hp": True})
    assert not result.errors
    assert forms.iuran_bpu_of(sop, result.values).total == 36_800
    too_much = forms.validate(sop, {**values, "penghasilan": "30.000.000"}, {})
    assert "paling banyak" in too_much.errors["penghasilan"] or "maksimal" in too_much.errors["penghasilan"]


def test_the_calculator_page_works_for_a_visitor(app_db):
    from .test_pages import open_app, texts

    at = open_app("kalkulator-iuran", user=None)
    at.checkbox(key="iuran_jht").check().run()
    assert not at.exception, at.exception
    assert "Rp36.800" in texts(at)
    at.text_input(key="iuran_penghasilan").set_value("500.000").run()
    assert "paling sedikit Rp1.000.000" in at.error[0].value
