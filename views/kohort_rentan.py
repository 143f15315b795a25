"""Pekerja rentan: one cohort from the DTKS/P3KE/DTSEN extract to the SK and the contribution budget (lib/rentan)."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib.base import fmt
from lib.base.sheets import XLSX_MIME
from lib.catalogue import model as catalog
from lib.rentan import anggaran, bpjs, kohort, tahap, tampilan
from lib.rentan import desa as rentan
from lib.ui import context, dokumen, surat_desa, widgets

_RESULT = "_kohort_result"
_STEPS = "_kohort_langkah"  # the SOP step of every stage (lib.rentan.tahap), read once per run


def _step(stage: str) -> str:
    """The " (langkah 16)" after a heading, for a stage of the SOP in force; nothing when the SOP lacks it."""
    label = tahap.label(st.session_state.get(_STEPS, {}), stage)
    return f" ({label})" if label else ""


def render() -> None:
    widgets.show_flash()
    actor = context.actor()
    with context.db()() as session:
        cohorts = [(k.id, k.nama) for k in kohort.all_kohort(session)]
        st.session_state[_STEPS] = tahap.steps(session)
    widgets.header("Pekerja rentan", tampilan.page_caption(tahap.label(st.session_state[_STEPS], *catalog.TAHAP)))
    if not cohorts:
        st.info("Belum ada kohort. Buat kohort pertama: beri nama, bulan awal dan akhir kepesertaan, dan sumber dana.")
        _new_cohort(expanded=True)
        return
    names = dict(cohorts)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    kid = c1.selectbox("Kohort", list(names), format_func=names.get, key="kohort-pilih", placeholder="Pilih…")
    with c2:
        _new_cohort(expanded=False)
    with context.db()() as session:
        k = kohort.get(session, kid)
        status = kohort.desa_status(session, actor, kid)
    st.caption(tampilan.cohort_caption(k))
    widgets.show_result(_RESULT)
    frozen = kohort.frozen(k)
    draw = (lambda: _lists(kid, status, actor, frozen), lambda: _letters(kid, status, frozen),
            lambda: _bpjs(kid, actor, frozen), lambda: _sk_budget(k, actor))
    widgets.lazy_tabs("kohort-tab", dict(zip(tampilan.TABS, draw)))


def _new_cohort(expanded: bool) -> None:
    with st.expander("Buat kohort baru", expanded=expanded, icon=":material/add:"), st.form("kohort-baru"):
        year = kohort.today_wib().year + 1
        nama = st.text_input("Nama kohort", value=f"Pekerja Rentan {year}")
        a, b = st.columns(2)
        mulai = a.date_input("Bulan pertama", value=dt.date(year, 1, 1), format="DD/MM/YYYY")
        selesai = b.date_input("Bulan terakhir", value=dt.date(year, 12, 1), format="DD/MM/YYYY")
        sumber = st.selectbox("Sumber dana", kohort.SUMBER_DANA, placeholder="Pilih…")
        if st.form_submit_button("Buat kohort", type="primary"):
            widgets.apply(lambda s: kohort.create(s, context.actor(), nama, mulai, selesai, sumber),
                          f"Kohort {nama} dibuat.")


def _download(label: str, build, file_name: str, key: str) -> None:
    widgets.lazy_download(label, build, file_name, key, XLSX_MIME)


# --- 1. reference data and candidate lists -------------------------------------------------------------
def _lists(kid: int, status: list[kohort.DesaStatus], actor, frozen: bool) -> None:
    who = tampilan.reader(actor)
    if not frozen:
        st.info(tampilan.lists_next(status, who.staff, who.kabid), icon=":material/arrow_forward:")
    if who.staff:
        _import_reference()
    st.subheader("Daftar calon per desa", anchor=False)
    widgets.table(tampilan.desa_rows(status))
    by_kode = {d.kode: d for d in status}
    kode = st.selectbox("Desa/kelurahan", list(by_kode), key="kohort-desa",
                        format_func=lambda x: tampilan.desa_label(by_kode[x]), placeholder="Pilih…")
    d = by_kode[kode]
    st.markdown(f"**{d.tahap}.** {tampilan.next_step(d, who.staff, who.kabid)}")
    with st.container(horizontal=True):
        if who.staff and st.button("Susun daftar calon dari DTKS/P3KE/DTSEN", key="kohort-susun",
                                   disabled=not d.referensi, help=tampilan.build_help(d)):
            widgets.apply_kept(_RESULT, lambda s: tampilan.built_summary(
                rentan.build_candidates(s, context.actor(), kode), d.nama))
        locked, why = tampilan.verify_locked(d)
        if "verifikasi" in kohort.desa_actions(actor, d) and st.button(
                "Verifikasi daftar (Kepala Bidang)", key="kohort-verifikasi", type="primary", disabled=locked,
                help=why):
            widgets.apply(lambda s: kohort.verify_desa(s, context.actor(), kid, kode),
                          f"Daftar calon {d.nama} ({fmt.angka(d.calon)} orang) diverifikasi.")
        if tampilan.may_download_template(actor, d):
            _download("Unduh daftar/templat validasi desa", lambda s, a: rentan.template(s, a, kode),
                      f"validasi-{kode}.xlsx", f"kohort-templat-{kode}")
    if who.staff and not frozen:
        _quota(kid, d)
    if d.calon:
        with context.db()() as session:
            people = rentan.candidates(session, actor, kode)
        widgets.table(tampilan.candidate_rows(people))


def _quota(kid: int, d: kohort.DesaStatus) -> None:
    """The desa's share of the allocation: how many Valid candidates join; the rest are its reserve."""
    with st.form(f"kohort-kuota-{d.kode}", border=False), st.container(horizontal=True, vertical_alignment="bottom"):
        value = st.number_input(f"Kuota peserta {d.nama} (kosongkan: semua calon Valid)", min_value=0,
                                max_value=100_000, step=1, value=d.kuota, placeholder="semua calon Valid",
                                key=f"kohort-kuota-nilai-{d.kode}", width=360)
        if st.form_submit_button("Simpan kuota"):
            n = None if value is None else int(value)
            widgets.apply(lambda s: kohort.set_quota(s, context.actor(), kid, d.kode, n),
                          tampilan.quota_message(d.nama, n))


def _import_reference() -> None:
    with st.expander("Impor data DTKS / P3KE / DTSEN", icon=":material/upload_file:"), \
            st.form("kohort-referensi", clear_on_submit=True):
        file = widgets.file_upload("Ekstrak data dengan kolom NIK, Nama dan Desa/Kelurahan",
                                   type=["xlsx", "xls", "csv"])
        a, b = st.columns(2)
        sumber = a.selectbox("Sumber", rentan.SOURCES, placeholder="Pilih…")
        periode = b.text_input("Periode data (TTTT-BB)", value=f"{kohort.today_wib():%Y-%m}")
        if st.form_submit_button("Impor", type="primary"):
            if file is None:
                st.error("Pilih berkas ekstrak data dulu.")
                return
            with st.spinner("Mengimpor…"):
                widgets.apply_kept(_RESULT, lambda s: tampilan.reference_summary(rentan.import_reference(
                    s, context.actor(), file.getvalue(), file.name, sumber, periode), file.name))


# --- 2. letters -----------------------------------------------------------------------------------------
def _letters(kid: int, status: list[kohort.DesaStatus], frozen: bool) -> None:
    if not frozen:
        st.info(tampilan.letters_next(status), icon=":material/arrow_forward:")
        if late := tampilan.late_warning(status):
            st.warning(late)
    shown = tampilan.letters_shown(status)
    if not shown:
        st.info("Belum ada daftar desa yang diverifikasi Kepala Bidang; surat konfirmasi dikirim setelahnya.")
        return
    frame = pd.DataFrame(tampilan.letter_rows(shown))
    widgets.table(frame.style.apply(lambda row: [tampilan.TAHAP_WARNA.get(row["Tahap"], "")] * len(row), axis=1))
    if frozen:
        st.info("SK kohort ini sudah ditetapkan: surat dan jawaban desa tidak dicatat lagi untuk kohort ini.")
        return
    st.caption(f"Desa menjawab paling lambat {kohort.LETTER_WORKING_DAYS} hari kerja setelah surat dikirim. Berkas "
               "validasi yang diterima di halaman Validasi desa tercatat sebagai jawaban.")
    dokumen.confirmation_letter(kid, shown)
    choices = tampilan.letter_choices(shown)
    a, b = st.columns(2)
    with a, st.container(border=True):
        surat_desa.send_form(kid, choices, _step("surat_konfirmasi"))
    with b, st.container(border=True):
        surat_desa.answer_form(kid, choices.waiting, _step("jawaban_desa"))


# --- 3. participants and BPJS check -----------------------------------------------------------------------
def _bpjs(kid: int, actor, frozen: bool) -> None:
    with context.db()() as session:
        active = kohort.participants(session, actor, kid)
        replaced = bpjs.replacements(session, actor, kid)
        history = bpjs.checks(session, kid)
        wil = bpjs.wilayah(session)
        waiting = [] if frozen else kohort.to_take(session, kid)
    widgets.metrics(*tampilan.participant_figures(active, replaced))
    if frozen:
        st.info("SK kohort ini sudah ditetapkan: daftar peserta tidak berubah lagi.")
    else:
        _take_and_check(kid, actor, active, waiting, history, wil)
    widgets.titled_table("Penggantian nama", tampilan.replacement_rows(replaced, wil))
    widgets.titled_table("Riwayat jawaban BPJS", tampilan.check_rows(history))
    widgets.titled_table("Daftar peserta", tampilan.people_rows(active, wil))


def _take_and_check(kid: int, actor, active, waiting, history, wil) -> None:
    """Stage pemutakhiran_calon (take the validated candidates) and the BPJS check (the list, its answer)."""
    unchecked = tampilan.unchecked(active)
    if waiting:
        st.markdown(tampilan.waiting_sentence(waiting, wil))
    with st.container(horizontal=True):
        if waiting and st.button(f"Ambil {fmt.angka(len(waiting))} calon tervalidasi", key="kohort-ambil",
                                 icon=":material/group_add:", type="secondary" if active else "primary"):
            widgets.apply_kept(_RESULT, lambda s: tampilan.taken_summary(
                kohort.take_validated(s, context.actor(), kid)))
        if unchecked and tampilan.reader(actor).export:
            _download(f"Unduh daftar untuk BPJS ({fmt.angka(unchecked)} orang)",
                      lambda s, a_: bpjs.bpjs_export(s, a_, kid), f"cek-bpjs-kohort-{kid}.xlsx", "kohort-bpjs-unduh")
    st.caption(tampilan.check_caption(unchecked, bool(active or history)))
    if not active and not history:
        return
    with st.form("kohort-bpjs", clear_on_submit=True):
        file = widgets.file_upload("Jawaban BPJS Ketenagakerjaan (daftar yang diunduh di atas, kolom Hasil Cek BPJS "
                                   "diisi)", type=["xlsx", "xls", "csv"])
        if st.form_submit_button("Impor jawaban BPJS", type="primary" if unchecked else "secondary"):
            if file is None:
                st.error("Pilih berkas jawaban BPJS dulu.")
            else:
                widgets.apply_kept(_RESULT, lambda s: tampilan.bpjs_summary(
                    bpjs.bpjs_import(s, context.actor(), kid, file.getvalue(), file.name), file.name))


# --- 4. SK and budget --------------------------------------------------------------------------------------
def _sk_budget(k, actor) -> None:
    with context.db()() as session:
        b = anggaran.budget(session, actor, k.id)
        wil = bpjs.wilayah(session)
        people = kohort.participants(session, actor, k.id)
    st.info(tampilan.sk_next(b.peserta, b.belum_dicek, k.nomor_sk), icon=":material/arrow_forward:")
    st.subheader("Rencana anggaran", anchor=False)
    st.markdown(tampilan.iuran_sentence(b.iuran, b.bulan, bool(k.nomor_sk)))
    widgets.metrics(*tampilan.budget_figures(b))
    if estimate := tampilan.estimate_warning(b):
        st.warning(estimate)
    if not b.peserta:
        st.info("Belum ada peserta dalam kohort ini; anggaran dihitung setelah peserta disusun (tab 3).")
        return
    money = {"Iuran per bulan": fmt.rupiah, "Jumlah": fmt.rupiah}
    for title, rows in zip(("**Per kecamatan**", "**Per desa**"), tampilan.budget_rows(b)):
        st.markdown(title)
        widgets.table(pd.DataFrame(rows).style.format(money))
    pick = st.selectbox("Lihat peserta di balik angka desa", tampilan.participant_desa(people, wil), index=None,
                        placeholder="Pilih desa", key="kohort-telusur")
    if pick:
        widgets.table(tampilan.people_of_desa(people, wil, pick))
    dokumen.cohort_budget_documents(k, tampilan.reader(actor).export)
    _sk_form(k, b.peserta)


def _sk_form(k, peserta: int) -> None:
    st.subheader("SK penetapan peserta", anchor=False)
    if k.nomor_sk:
        st.success(tampilan.sk_fixed(k))
        return
    with st.form("kohort-sk"):
        nomor = st.text_input("Nomor SK (setelah ditandatangani Kepala Dinas)")
        tanggal = st.date_input("Tanggal SK", value=kohort.today_wib(), format="DD/MM/YYYY")
        if st.form_submit_button("Tetapkan SK", type="primary"):
            widgets.apply(lambda s: anggaran.set_sk(s, context.actor(), k.id, nomor, tanggal),
                          tampilan.sk_message(nomor, peserta))
