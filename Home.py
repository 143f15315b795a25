"""Portal SOP — entry point: page config, login gate, role-based st.navigation, landing view.

Run with: streamlit run Home.py
"""
import streamlit as st

from lib.base import config
from lib.base.db import database_url
from lib.catalogue import model as catalog
from lib.rentan import desa as rentan
from lib.ui import auth, context, data, kabar, nav, widgets
from views import (
    admin_audit,
    admin_iuran,
    admin_kalender,
    admin_pengguna,
    admin_templat,
    agenda_surat,
    akun,
    beranda,
    berkas,
    cek_status,
    dasbor,
    editor_sop,
    evaluasi,
    kalkulator_iuran,
    kohort_rentan,
    kotak_masuk,
    pengesahan_sop,
    plh,
    skm,
    skm_hasil,
    sop,
    tugas,
    validasi_desa,
)

st.set_page_config(page_title="Portal SOP", page_icon="assets/logo.svg", layout="wide",
                   initial_sidebar_state="expanded")
widgets.inject_css()

try:
    data.ensure_database(database_url())
    gate = auth.Gate(database_url())  # the one Authenticate of this run
    docs = data.documents()
except (config.ConfigError, catalog.CatalogError) as err:
    st.error(f"Portal tidak dapat dijalankan: {err}")
    st.stop()

actor = gate.actor()
bell_title, bell_icon = kabar.bell(actor)


def _login_page() -> None:
    """Drawn by Home.py itself (the login form must run before the requested page)."""


specs = [
    nav.PageSpec("beranda", "Beranda", beranda.render, "view_catalogue", "Portal", ":material/home:",
                 default_for_users=True),
    nav.PageSpec(kabar.PAGE, bell_title, kotak_masuk.render, "manage_own_account", "Portal", bell_icon),
    nav.PageSpec("masuk", "Masuk", _login_page, None, "Portal", ":material/login:", default_for_anonymous=True),
    nav.PageSpec("skm", "Survei Kepuasan", skm.render, None, "Portal", ":material/sentiment_satisfied:"),
    nav.PageSpec("kalkulator-iuran", "Kalkulator iuran BPU", kalkulator_iuran.render, None, "Portal",
                 ":material/calculate:"),
    nav.PageSpec("cek-status", "Cek status berkas", cek_status.render, None, "Portal", ":material/manage_search:"),
    nav.PageSpec("dasbor", "Dasbor kinerja", dasbor.render, "view_dashboard", "Portal", ":material/monitoring:"),
    nav.PageSpec("tugas", "Tugas Saya", tugas.render, "run_cases", "Portal", ":material/task_alt:"),
    nav.PageSpec("berkas", "Cari berkas", berkas.render, "run_cases", "Portal", ":material/folder_open:"),
    nav.PageSpec("plh", "Plh (Pelaksana Harian)", plh.render, ("delegate", "manage_delegations"), "Portal",
                 ":material/badge:"),
    nav.PageSpec("agenda-surat", "Agenda surat keluar", agenda_surat.render, "view_letter_register", "Portal",
                 ":material/outgoing_mail:"),
    nav.PageSpec("validasi-desa", "Validasi desa", validasi_desa.render, "upload_validation", "Portal",
                 ":material/upload_file:"),
    nav.PageSpec("pekerja-rentan-kohort", "Pekerja rentan", kohort_rentan.render, "manage_candidates", "Portal",
                 ":material/diversity_3:", scope=rentan.BIDANG_SCOPE),
    nav.PageSpec("evaluasi", "Evaluasi Triwulan", evaluasi.render, "view_reviews", "Evaluasi", ":material/fact_check:"),
    nav.PageSpec("skm-hasil", "Hasil SKM", skm_hasil.render, "view_skm_results", "Evaluasi", ":material/bar_chart:"),
    *nav.catalogue_specs(docs, sop.page_for),
    nav.PageSpec("akun", "Akun saya", akun.render, "manage_own_account", "Akun", ":material/person:"),
    nav.PageSpec("admin-pengguna", "Pengguna", admin_pengguna.render, "manage_users", "Administrasi",
                 ":material/group:"),
    nav.PageSpec("editor-sop", "Editor SOP", editor_sop.render, "manage_catalogue", "Administrasi",
                 ":material/edit_document:"),
    nav.PageSpec("pengesahan-sop", "Pengesahan SOP", pengesahan_sop.render, "approve_sop", "Administrasi",
                 ":material/verified:"),
    nav.PageSpec("admin-audit", "Log audit", admin_audit.render, "view_audit_log", "Administrasi",
                 ":material/history:"),
    nav.PageSpec("admin-kalender", "Kalender kerja", admin_kalender.render, "manage_settings", "Administrasi",
                 ":material/calendar_month:"),
    nav.PageSpec("admin-templat", "Templat dokumen", admin_templat.render, "manage_settings", "Administrasi",
                 ":material/description:"),
    nav.PageSpec("admin-iuran", "Iuran pekerja rentan", admin_iuran.render, "manage_settings", "Administrasi",
                 ":material/payments:"),
]
specs += nav.not_found_pages(specs)  # an unknown address: our Indonesian page, not Streamlit's English dialog
current = st.navigation(nav.build(specs, actor), position="hidden" if actor.is_anonymous else "sidebar",
                       expanded=True)
spec = nav.spec_of(current)

if actor.is_anonymous:
    if spec.permission is None and spec.key != "masuk":
        current.run()  # a public page
        st.stop()
    actor = gate.login_form(None if spec.key in ("masuk", "beranda") else spec.title)
    if actor is None:
        st.stop()
    context.set_actor(actor)
    st.success(f"Selamat datang, {actor.name}.")
    if spec.key != "masuk" and nav.allowed_to_open(actor, spec):
        current.run()  # the deep link the visitor asked for
    st.stop()

context.set_actor(actor)
if gate.sidebar(actor):
    st.stop()  # the cookie component reruns the app once the cookie is deleted: the login form, "Anda telah keluar"
if spec.key == "masuk":
    st.switch_page(nav.page("beranda"))
if not nav.allowed_to_open(actor, spec):
    widgets.no_access(nav.home())
    st.stop()
current.run()
