"""The KPI dashboard page: who sees it, and that it draws the demo history without errors."""
import pytest

from lib.base import accounts
from lib.base.db import session_factory
from lib.casework import cases
from lib.setup import database as setup

from .test_pages import open_app


@pytest.fixture
def with_cases(app_db):
    """A few finished AK1 cases so that the dashboard has figures (the app_db has no demo history)."""
    setup.init(app_db, demo=True)
    with session_factory(app_db).begin() as s:
        staf, kasi, kabid = (accounts.load_actor(s, u) for u in ("staf", "kasi", "kabid"))
        for _ in range(3):
            v = cases.open_case(s, staf, "kartu-ak1", "Pemohon")
            for no, who, outcome in ((1, staf, None), (2, staf, "ya"), (3, staf, None), (4, kasi, None),
                                     (5, kabid, None), (6, staf, None)):
                v = cases.start_step(s, who, v.id, no, v.version) if no > 1 else v
                v = cases.complete_step(s, who, v.id, no, v.version, outcome=outcome)
    return app_db


def test_kepala_dinas_opens_the_dashboard_with_figures_for_this_month(with_cases):
    at = open_app("dasbor", user="kadis")
    assert not at.exception, at.exception
    assert not at.error, at.error
    labels = [m.label for m in at.metric]
    assert "Berkas selesai" in labels and "Langkah dalam mutu baku" in labels
    assert next(m.value for m in at.metric if m.label == "Berkas selesai") == "3"


def test_kepala_bidang_sees_only_the_sops_of_their_bidang(with_cases):
    at = open_app("dasbor", user="kabid")
    assert not at.exception
    options = at.multiselect(key="kpi-sop").options
    assert "Kartu Pencari Kerja (AK1)" in options and "PBI-JK dan PBPU BP Pemda" not in options


def test_staf_and_village_operators_cannot_open_the_dashboard(app_db):
    for user in ("staf", "operator"):
        at = open_app("dasbor", user=user)
        assert at.header[0].value == "Halaman tidak ditemukan"


def test_the_channels_of_a_service_are_shown_side_by_side_on_their_own_tab(with_cases):
    with session_factory(with_cases).begin() as s:
        staf = accounts.load_actor(s, "staf")
        cases.intake(s, staf, "pendaftaran-bpu-bank", {
            "nama": "Sari", "nik": "3201014101900003", "email": "sari@contoh.id", "no_hp": "081234567890",
            "pekerjaan": "Pedagang", "penghasilan": "2000000"}, {"ktp": True, "email": True, "no_hp": True})
    from lib.ui import data

    data.kpi_dashboard.clear()  # cached per filter for a minute, not per database: drop an earlier test's figures
    at = open_app("dasbor", user="kadis")
    at.session_state["kpi-tab"] = "Per kanal"
    at.run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Kanal" in d.value.columns)
    bank = table[table["Kanal"] == "Bank (Service Point Office)"].iloc[0]
    assert bank["Layanan"] == "Pendaftaran Kepesertaan BPU" and bank["Berkas masuk"] == 1
    assert set(table["Kanal"]) >= {"Loket (layanan kontak fisik)", "Website atau aplikasi JMO", "Agen PERISAI"}
