"""Pekerja rentan: one cohort from the DTKS/P3KE/DTSEN extract to the SK and the contribution budget (lib/rentan)."""
import datetime as dt

import pandas as pd
import streamlit as st

from lib.base import fmt
from lib.base.permissions import has_permission
from lib.base.sheets import XLSX_MIME
from lib.catalogue import model as catalog
from lib.dokumen import kohort as dokumen_kohort
from lib.rentan import anggaran, bpjs, kohort, tahap, tampilan
from lib.rentan import desa as rentan
from lib.ui import context, dokumen, widgets

_RESULT = "_kohort_result"
_STEPS = "_kohort_langkah"  # the SOP step of every stage (lib.rentan.tahap), read once per run
_TAHAP_WARNA = {"Terlambat menjawab": "background-color: #fde2e1", "Sudah menjawab": "background-color: #e3f4e1"}


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
    steps = tahap.label(st.session_state[_STEPS], *catalog.TAHAP)
    widgets.header("Pekerja rentan", "Bantuan iuran JKK+JKM BPJS Ketenagakerjaan bagi pekerja rentan"
                   + (f" (SOP {steps})" if steps else "")
                   + ": data DTKS/P3KE/DTSEN, daftar calon per desa, surat konfirmasi, cek BPJS, SK dan anggaran.")
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
    months = kohort.months(k.mulai, k.selesai)
    sk = f" · SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)}" if k.nomor_sk else " · SK belum ditetapkan"
    st.caption(f"Kepesertaan {fmt.bulan_tahun(k.mulai)} – {fmt.bulan_tahun(k.selesai)} ({months} bulan) · "
               f"sumber dana {k.sumber_dana}{sk}")
    widgets.show_result(_RESULT)
    names = ["1. Data dan daftar calon", "2. Surat ke desa", "3. Peserta dan cek BPJS", "4. SK dan anggaran"]
    tabs = st.tabs(names, key="kohort-tab", on_change="rerun")
    if tabs[0].open:
        with tabs[0]:
            _lists(kid, status, actor, frozen=kohort.frozen(k))
    if tabs[1].open:
        with tabs[1]:
            _letters(kid, status, frozen=kohort.frozen(k))
    if tabs[2].open:
        with tabs[2]:
            _bpjs(kid, actor, frozen=kohort.frozen(k))
    if tabs[3].open:
        with tabs[3]:
            _sk_budget(k, actor)


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


def _keep(message: str, *notes: tuple[str, list[str]]) -> None:
    widgets.keep_result(_RESULT, message, *notes)


def _download(label: str, build, file_name: str, key: str) -> None:
    widgets.lazy_download(label, build, file_name, key, XLSX_MIME)


# --- 1. reference data and candidate lists -------------------------------------------------------------
def _lists(kid: int, status: list[kohort.DesaStatus], actor, frozen: bool) -> None:
    staff = has_permission(actor, "manage_candidates", kohort.BIDANG_SCOPE)
    kabid = has_permission(actor, "verify_candidates", kohort.BIDANG_SCOPE)
    if not frozen:
        st.info(tampilan.lists_next(status, staff, kabid), icon=":material/arrow_forward:")
    if staff:
        _import_reference()
    st.subheader("Daftar calon per desa", anchor=False)
    widgets.grid(pd.DataFrame(tampilan.desa_rows(status)), hide_index=True, width="stretch")
    by_kode = {d.kode: d for d in status}
    kode = st.selectbox("Desa/kelurahan", list(by_kode), key="kohort-desa",
                        format_func=lambda x: f"{by_kode[x].nama} (Kec. {by_kode[x].kecamatan})", placeholder="Pilih…")
    d = by_kode[kode]
    may_verify = "verifikasi" in kohort.desa_actions(actor, d)
    st.markdown(f"**{d.tahap}.** {tampilan.next_step(d, staff, kabid)}")
    with st.container(horizontal=True):
        if staff and st.button("Susun daftar calon dari DTKS/P3KE/DTSEN", key="kohort-susun", disabled=not d.referensi,
                               help=None if d.referensi else "Belum ada data referensi untuk desa ini."):
            def build(s):
                n = rentan.build_candidates(s, context.actor(), kode)
                _keep(f"{fmt.angka(n)} calon ditambahkan ke daftar {d.nama}." if n else
                      f"Tidak ada calon baru: semua orang dalam data DTKS/P3KE/DTSEN {d.nama} sudah ada di daftar.")
            widgets.apply(build, "")
        done = bool(d.diverifikasi and not d.berubah)
        if may_verify and st.button("Verifikasi daftar (Kepala Bidang)", key="kohort-verifikasi", type="primary",
                                    disabled=not d.calon or done,
                                    help="Daftar ini sudah diverifikasi." if done else None):
            widgets.apply(lambda s: kohort.verify_desa(s, context.actor(), kid, kode),
                          f"Daftar calon {d.nama} ({fmt.angka(d.calon)} orang) diverifikasi.")
        if d.calon and has_permission(actor, "upload_validation", rentan.scope_of(kode)):
            _download("Unduh daftar/templat validasi desa", lambda s, a: rentan.template(s, a, kode),
                      f"validasi-{kode}.xlsx", f"kohort-templat-{kode}")
    if staff and not frozen:
        _quota(kid, d)
    if d.calon:
        with context.db()() as session:
            people = rentan.candidates(session, actor, kode)
        widgets.grid(pd.DataFrame(tampilan.candidate_rows(people)), hide_index=True, width="stretch")


def _quota(kid: int, d: kohort.DesaStatus) -> None:
    """The desa's share of the allocation: how many Valid candidates join; the rest are its reserve."""
    with st.form(f"kohort-kuota-{d.kode}", border=False), st.container(horizontal=True, vertical_alignment="bottom"):
        value = st.number_input(f"Kuota peserta {d.nama} (kosongkan: semua calon Valid)", min_value=0,
                                max_value=100_000, step=1, value=d.kuota, placeholder="semua calon Valid",
                                key=f"kohort-kuota-nilai-{d.kode}", width=360)
        if st.form_submit_button("Simpan kuota"):
            n = None if value is None else int(value)
            widgets.apply(lambda s: kohort.set_quota(s, context.actor(), kid, d.kode, n),
                          f"Kuota {d.nama}: " + ("semua calon Valid." if n is None else f"{fmt.angka(n)} peserta; "
                                                 "calon Valid selebihnya menjadi cadangan pengganti."))


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

            def run(s):
                r = rentan.import_reference(s, context.actor(), file.getvalue(), file.name, sumber, periode)
                message, notes = tampilan.reference_summary(r, file.name)
                _keep(message, *notes)
            with st.spinner("Mengimpor…"):
                widgets.apply(run, "")


# --- 2. letters -----------------------------------------------------------------------------------------
def _letters(kid: int, status: list[kohort.DesaStatus], frozen: bool) -> None:
    if not frozen:
        st.info(tampilan.letters_next(status), icon=":material/arrow_forward:")
    late = [d for d in status if d.terlambat and not frozen]
    if late:
        st.warning(f"{len(late)} desa terlambat menjawab surat konfirmasi: " + ", ".join(
            f"{d.nama} (batas {fmt.tanggal(d.batas)})" for d in late))
    shown = [d for d in status if d.diverifikasi or d.surat_tanggal]
    if not shown:
        st.info("Belum ada daftar desa yang diverifikasi Kepala Bidang; surat konfirmasi dikirim setelahnya.")
        return
    frame = pd.DataFrame(tampilan.letter_rows(shown))
    widgets.grid(frame.style.apply(lambda row: [_TAHAP_WARNA.get(row["Tahap"], "")] * len(row), axis=1),
                 hide_index=True, width="stretch")
    if frozen:
        st.info("SK kohort ini sudah ditetapkan: surat dan jawaban desa tidak dicatat lagi untuk kohort ini.")
        return
    st.caption(f"Desa menjawab paling lambat {kohort.LETTER_WORKING_DAYS} hari kerja setelah surat dikirim. Berkas "
               "validasi yang diterima di halaman Validasi desa tercatat sebagai jawaban.")
    _letter_documents(kid, shown)
    ready = {d.kode: d.nama for d in shown if d.diverifikasi and not d.surat_tanggal and not d.berubah}
    changed = [d.nama for d in shown if d.berubah]
    waiting = {d.kode: d.nama for d in shown if d.surat_tanggal and not d.jawaban}
    a, b = st.columns(2)
    with a, st.container(border=True):
        st.markdown("**Catat surat terkirim**" + _step("surat_konfirmasi"))
        if changed:
            st.caption(f"Daftar {', '.join(changed)} berubah sejak diverifikasi; surat dikirim setelah Kepala Bidang "
                       "memverifikasinya lagi (tab 1).")
        if not ready:
            st.caption("Tidak ada desa yang menunggu surat: setiap daftar yang sudah diverifikasi Kepala Bidang "
                       "sudah dikirimi surat.")
        else:
            with context.db()() as session:
                given = dokumen_kohort.agenda_numbers(session, kid, list(ready))
            if given:
                st.caption("Nomor dari agenda surat keluar: " + "; ".join(
                    f"{ready[k]} {n}" for k, n in given.items()))
            with st.form("kohort-surat", border=False):
                desa = st.multiselect("Desa/kelurahan", list(ready), format_func=ready.get, placeholder="Pilih desa")
                nomor = st.text_input("Nomor surat", placeholder="Kosongkan: nomor diambil dari agenda surat keluar",
                                      help="Kosongkan agar setiap desa memakai nomor surat konfirmasinya di agenda "
                                           "surat keluar (nomor baru diberikan bila suratnya belum diunduh).")
                tanggal = st.date_input("Tanggal dikirim", value=kohort.today_wib(), format="DD/MM/YYYY")
                if st.form_submit_button("Catat surat"):
                    widgets.apply(lambda s: dokumen_kohort.send_letters(s, context.actor(), kid, desa, nomor,
                                                                        tanggal),
                                  f"Surat konfirmasi tercatat untuk {len(desa)} desa.")
    with b, st.container(border=True):
        st.markdown("**Catat jawaban desa**" + _step("jawaban_desa"))
        if not waiting:
            st.caption("Tidak ada desa yang menunggu jawaban.")
            return
        st.caption("Untuk jawaban berupa surat balasan.")
        with st.form("kohort-jawaban", border=False):
            kode = st.selectbox("Desa/kelurahan", list(waiting), format_func=waiting.get, placeholder="Pilih desa",
                                index=None)
            tanggal_j = st.date_input("Tanggal diterima", value=kohort.today_wib(), format="DD/MM/YYYY")
            catatan = st.text_input("Catatan (nomor surat balasan)")
            if st.form_submit_button("Catat jawaban"):
                if kode is None:
                    st.error("Pilih desa yang menjawab.")
                else:
                    widgets.apply(lambda s: kohort.record_answer(s, context.actor(), kid, kode, tanggal_j, catatan),
                                  f"Jawaban {waiting[kode]} tercatat.")


def _letter_documents(kid: int, shown: list[kohort.DesaStatus]) -> None:
    """The confirmation letter of one desa (DOCX, with its list and the deadline), numbered from the agenda."""
    if not has_permission(context.actor(), "export_personal_data", kohort.BIDANG_SCOPE):
        return
    printable = {d.kode: d.nama for d in shown if dokumen_kohort.letter_ready(d)}
    if not printable:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        kode = st.selectbox("Surat permintaan konfirmasi untuk desa", list(printable), format_func=printable.get,
                            key="kohort-surat-dok", placeholder="Pilih desa")
        dokumen.download("Unduh surat konfirmasi (DOCX)",
                         lambda s, a: dokumen_kohort.confirmation_letter(s, a, kid, kode)[1],
                         f"surat-konfirmasi-{kode}-kohort-{kid}.docx", f"kohort-surat-dok-{kid}-{kode}",
                         help="Satu surat per desa, dengan daftar sementara terlampir (NIK lengkap) dan batas jawaban "
                              "dihitung pada kalender kerja. Nomor surat diambil dari agenda surat keluar.")


# --- 3. participants and BPJS check -----------------------------------------------------------------------
def _bpjs(kid: int, actor, frozen: bool) -> None:
    with context.db()() as session:
        active = kohort.participants(session, actor, kid)
        replaced = bpjs.replacements(session, actor, kid)
        history = bpjs.checks(session, kid)
        wil = bpjs.wilayah(session)
        waiting = [] if frozen else kohort.to_take(session, kid)
    unchecked = sum(p.bpjs_status == "belum_dicek" for p in active)
    c = st.columns(4)
    c[0].metric("Peserta aktif", fmt.angka(len(active)))
    c[1].metric("Belum dicek BPJS", fmt.angka(unchecked))
    c[2].metric("Layak (belum terdaftar)", fmt.angka(sum(p.bpjs_status == "belum_terdaftar" for p in active)))
    c[3].metric("Diganti", fmt.angka(len(replaced)))
    if frozen:
        st.info("SK kohort ini sudah ditetapkan: daftar peserta tidak berubah lagi.")
    else:
        _take_and_check(kid, actor, active, waiting, unchecked, history, wil)
    if replaced:
        st.subheader("Penggantian nama", anchor=False)
        widgets.grid(pd.DataFrame(tampilan.replacement_rows(replaced, wil)), hide_index=True, width="stretch")
    if history:
        st.subheader("Riwayat jawaban BPJS", anchor=False)
        widgets.grid(pd.DataFrame(tampilan.check_rows(history)), hide_index=True, width="stretch")
    if active:
        st.subheader("Daftar peserta", anchor=False)
        widgets.grid(pd.DataFrame(tampilan.people_rows(active, wil)), hide_index=True, width="stretch")


def _take_and_check(kid: int, actor, active, waiting, unchecked: int, history, wil) -> None:
    """Stage pemutakhiran_calon (take the validated candidates) and the BPJS check (the list, its answer)."""
    if waiting:
        st.markdown(tampilan.waiting_sentence(waiting, wil))
    with st.container(horizontal=True):
        if waiting and st.button(f"Ambil {fmt.angka(len(waiting))} calon tervalidasi", key="kohort-ambil",
                                 icon=":material/group_add:", type="secondary" if active else "primary"):
            def take(s):
                n = kohort.take_validated(s, context.actor(), kid)
                _keep(f"{fmt.angka(n)} calon berstatus Valid masuk daftar peserta.")
            widgets.apply(take, "")
        if unchecked and has_permission(actor, "export_personal_data", kohort.BIDANG_SCOPE):
            _download(f"Unduh daftar untuk BPJS ({fmt.angka(unchecked)} orang)",
                      lambda s, a_: bpjs.bpjs_export(s, a_, kid), f"cek-bpjs-kohort-{kid}.xlsx", "kohort-bpjs-unduh")
    if not active and not history:
        st.caption("Belum ada peserta. Peserta diambil dari calon yang dinyatakan Valid oleh desa yang sudah menjawab "
                   "surat konfirmasi (tab 2).")
        return
    if unchecked:
        st.caption(f"{fmt.angka(unchecked)} peserta belum dicek: unduh daftarnya, kirim ke BPJS Ketenagakerjaan, lalu "
                   "impor jawabannya di bawah. SK ditetapkan setelah semua peserta dicek.")
    else:
        st.caption("Semua peserta aktif sudah dicek BPJS Ketenagakerjaan. SK dan anggaran ada di tab 4.")
    with st.form("kohort-bpjs", clear_on_submit=True):
        file = widgets.file_upload("Jawaban BPJS Ketenagakerjaan (daftar yang diunduh di atas, kolom Hasil Cek BPJS "
                                   "diisi)", type=["xlsx", "xls", "csv"])
        if st.form_submit_button("Impor jawaban BPJS", type="primary" if unchecked else "secondary"):
            if file is None:
                st.error("Pilih berkas jawaban BPJS dulu.")
            else:
                def run(s):
                    r = bpjs.bpjs_import(s, context.actor(), kid, file.getvalue(), file.name)
                    message, notes = tampilan.bpjs_summary(r, file.name)
                    _keep(message, *notes)
                widgets.apply(run, "")


# --- 4. SK and budget --------------------------------------------------------------------------------------
def _sk_budget(k, actor) -> None:
    with context.db()() as session:
        b = anggaran.budget(session, actor, k.id)
        wil = bpjs.wilayah(session)
        people = kohort.participants(session, actor, k.id)
    r = b.iuran
    st.info(tampilan.sk_next(b.peserta, b.belum_dicek, k.nomor_sk), icon=":material/arrow_forward:")
    st.subheader("Rencana anggaran", anchor=False)
    st.markdown(tampilan.iuran_sentence(r, b.bulan, bool(k.nomor_sk)))
    c = st.columns(3)
    c[0].metric("Peserta", fmt.angka(b.peserta))
    c[1].metric("Iuran per bulan", fmt.rupiah(b.peserta * r.per_bulan))
    c[2].metric(f"Jumlah {b.bulan} bulan", fmt.rupiah(b.total))
    if b.belum_dicek:
        st.warning(f"Perkiraan: {fmt.angka(b.belum_dicek)} peserta belum dicek BPJS Ketenagakerjaan, jadi jumlah ini "
                   "masih bisa berubah.")
    if not b.peserta:
        st.info("Belum ada peserta dalam kohort ini; anggaran dihitung setelah peserta disusun (tab 3).")
        return
    money = {"Iuran per bulan": fmt.rupiah, "Jumlah": fmt.rupiah}
    for title, rows in zip(("**Per kecamatan**", "**Per desa**"), tampilan.budget_rows(b)):
        st.markdown(title)
        widgets.grid(pd.DataFrame(rows).style.format(money), hide_index=True, width="stretch")
    desa_names = sorted({wil[p.desa_kode][0] for p in people})
    pick = st.selectbox("Lihat peserta di balik angka desa", desa_names, index=None, placeholder="Pilih desa",
                        key="kohort-telusur")
    if pick:
        widgets.grid(pd.DataFrame(tampilan.people_rows([p for p in people if wil[p.desa_kode][0] == pick], wil)),
                     hide_index=True, width="stretch")
    with st.container(horizontal=True):
        _download("Unduh rencana anggaran (XLSX)", lambda s, a_: anggaran.budget_workbook(s, a_, k.id),
                  f"anggaran-kohort-{k.id}.xlsx", "kohort-anggaran")
        if has_permission(actor, "export_personal_data", kohort.BIDANG_SCOPE):
            _download("Unduh lampiran SK (XLSX, NIK lengkap)" if k.nomor_sk else "Unduh rancangan lampiran SK (XLSX)",
                      lambda s, a_: anggaran.sk_workbook(s, a_, k.id), f"lampiran-sk-kohort-{k.id}.xlsx",
                      "kohort-sk-unduh")
            dokumen.download("Unduh lampiran SK (DOCX)", lambda s, a_: dokumen_kohort.sk_attachment(s, a_, k.id)[1],
                             f"lampiran-sk-kohort-{k.id}.docx", "kohort-sk-docx")
    st.subheader("SK penetapan peserta", anchor=False)
    if k.nomor_sk:
        st.success(f"SK {k.nomor_sk} tanggal {fmt.tanggal(k.tanggal_sk)} ditetapkan; daftar peserta tidak dapat "
                   "diubah lagi.")
        return
    with st.form("kohort-sk"):
        nomor = st.text_input("Nomor SK (setelah ditandatangani Kepala Dinas)")
        tanggal = st.date_input("Tanggal SK", value=kohort.today_wib(), format="DD/MM/YYYY")
        if st.form_submit_button("Tetapkan SK", type="primary"):
            widgets.apply(lambda s: anggaran.set_sk(s, context.actor(), k.id, nomor, tanggal),
                          f"SK {nomor} ditetapkan untuk {fmt.angka(b.peserta)} peserta.")
