"""Hasil SKM: the IKM per service and period, respondents against the minimum sample, profile breakdown,
suggestions, the XLSX report, and the import of paper questionnaires."""
import datetime as dt

import streamlit as st

from lib.base import config, fmt
from lib.base.permissions import PermissionDenied, has_permission
from lib.base.sheets import XLSX_MIME
from lib.base.worktime import WIB
from lib.evaluation import skm, skm_data, skm_hasil
from lib.ui import context, data, filters, widgets

ALL = ""
_IMPORT_N = "_skm_import_n"


def render() -> None:
    actor = context.actor()
    widgets.show_flash()
    widgets.header("Hasil SKM", "Indeks Kepuasan Masyarakat (PermenPAN-RB 14/2017): nilai rata-rata per unsur, "
                   "IKM, mutu dan kinerja pelayanan, per layanan dan periode.")
    with context.db()() as session:
        services = skm_data.services(session)
    sop_id, per, weight = _filters(services)
    name = services.get(sop_id, "Semua layanan")
    try:
        rep = data.skm_report(actor, sop_id or None, per.start, per.end, weight, services)
    except PermissionDenied as err:
        st.error(str(err))
        return
    st.caption(f"{name} · **{per.label}** ({fmt.tanggal(per.start)} – {fmt.tanggal(per.end)})")
    draws = {"Hasil": lambda: _results(rep, name, per, sop_id), "Profil responden": lambda: _profile(rep),
             "Saran": lambda: _suggestions(rep)}
    if has_permission(actor, "manage_reviews"):
        draws["Impor kuesioner kertas"] = lambda: _import(services, sop_id)
    widgets.lazy_tabs("skmh-tab", draws)


def _filters(services):
    c1, c2, c3, c4 = st.columns([3, 1, 2, 1])
    sop_id = c1.selectbox("Layanan", [ALL, *services], format_func=lambda i: services.get(i, "Semua layanan"),
                          key="skmh-sop", placeholder="Pilih…")
    per = filters.period(c2, c3, "skmh", default_kind="Tahun", range_from_year_start=True)
    legacy = c4.toggle("Bobot 0,111", key="skmh-legacy",
                       help="Aturan: bobot 1/9 per unsur. Bobot 0,111 hanya untuk membandingkan dengan lembar kerja "
                            "lama (nilai maksimal 99,90).")
    return sop_id, per, "legacy" if legacy else "exact"


def _sample(rep: skm_hasil.SkmReport) -> None:
    if rep.minimum is None:
        st.info(rep.sample_message(), icon=":material/info:")
    elif rep.shortfall:
        st.warning(rep.sample_message(), icon=":material/warning:")
    else:
        st.success(rep.sample_message(), icon=":material/check_circle:")
    st.caption(skm_hasil.POPULATION_NOTE)


def _results(rep: skm_hasil.SkmReport, name: str, per, sop_id: str) -> None:
    if rep.result is None:
        st.info(f"Belum ada jawaban SKM untuk {name} pada {per.label}.", icon=":material/inbox:")
        _sample(rep)
        if sop_id:
            base = config.public_url() or str(st.context.url or "").split("/skm-hasil")[0].split("?")[0]
            url = skm.survey_url(base, sop_id)
            c1, c2 = st.columns([1, 4])
            c1.markdown(skm.qr_svg(url), unsafe_allow_html=True)
            c2.markdown(f"Tautan e-survei layanan ini: [{url}]({url})")
            c2.caption("Cetak kode QR ini di loket, atau impor kuesioner kertas pada tab “Impor kuesioner kertas”.")
        return
    r = rep.result
    c = st.columns(4)
    c[0].metric("Responden", fmt.angka(r.respondents),
                delta=None if rep.minimum is None else f"minimal {fmt.angka(rep.minimum)}", delta_color="off",
                delta_arrow="off")
    c[1].metric("IKM", fmt.angka(r.ikm, 2), help="Rata-rata NRR sembilan unsur × 25, dibulatkan 2 desimal.")
    c[2].metric("Mutu pelayanan", r.mutu)
    c[3].metric("Kinerja unit pelayanan", r.kinerja)
    _sample(rep)
    src = rep.sources
    st.caption(f"Sumber jawaban: daring {fmt.angka(src.get('online', 0))}, kertas {fmt.angka(src.get('kertas', 0))}."
               + (" Dihitung dengan bobot lama 0,111." if rep.weight == "legacy" else ""))
    st.plotly_chart(skm_hasil.chart(rep), width="stretch")
    widgets.grid(skm_hasil.nrr_table(rep), hide_index=True, width="stretch")
    title = f"Laporan SKM — {name} — {per.label}"
    widgets.lazy_download("Unduh laporan (XLSX)", lambda session, actor: skm_hasil.workbook(rep, title),
                          f"skm-{sop_id or 'semua'}-{per.start:%Y%m%d}-{per.end:%Y%m%d}.xlsx", "skmh-xlsx", XLSX_MIME)


def _profile(rep: skm_hasil.SkmReport) -> None:
    if rep.result is None:
        st.info("Belum ada responden.")
        return
    st.caption("IKM per kelompok responden. Kelompok yang kecil tidak mewakili; “Tidak diisi” = profil dikosongkan.")
    cols = st.columns(2)
    for i, b in enumerate(rep.breakdowns):
        with cols[i % 2]:
            st.markdown(f"**{b.label}**")
            widgets.grid(skm_hasil.breakdown_table(b), hide_index=True, width="stretch")


def _suggestions(rep: skm_hasil.SkmReport) -> None:
    if not rep.suggestions:
        st.info("Belum ada saran atau masukan pada periode ini.")
        return
    st.caption(f"{fmt.angka(len(rep.suggestions))} saran, terbaru di atas.")
    widgets.grid(rep.suggestions, hide_index=True, width="stretch")


def _import(services, sop_id: str) -> None:
    st.markdown("Ketik jawaban kuesioner kertas ke lembar kerja (satu baris per responden, kolom **U1–U9** bernilai "
                "1–4, profil dan saran tidak wajib), lalu unggah. Tidak ada yang disimpan sebelum Anda menekan "
                "**Simpan**; bila ada satu baris salah, tidak ada yang disimpan.")
    st.download_button("Unduh templat kuesioner (XLSX)", skm_hasil.template_xlsx(), file_name="templat-skm.xlsx",
                       mime=XLSX_MIME, icon=":material/download:", key="skmh-template")
    n = st.session_state.setdefault(_IMPORT_N, 0)
    c1, c2 = st.columns([3, 1])
    ids = list(services)
    target = c1.selectbox("Layanan yang dinilai", ids, index=ids.index(sop_id) if sop_id in ids else None,
                          format_func=services.get, placeholder="Pilih layanan…", key=f"skmh-imp-sop-{n}-{sop_id}")
    today = dt.datetime.now(WIB).date()
    filled_on = c2.date_input("Tanggal pengisian", today, max_value=today, format="DD/MM/YYYY",
                              key=f"skmh-imp-date-{n}")
    upload = widgets.file_upload("Berkas kuesioner", type=["xlsx", "csv"], key=f"skmh-imp-file-{n}")
    if upload is None:
        return
    try:
        batch = skm_hasil.read_paper(upload.getvalue(), upload.name)
    except skm.SkmFileError as err:
        st.error("Berkas tidak dapat diimpor. Perbaiki baris berikut lalu unggah lagi:\n\n"
                 + "\n".join(f"- {m}" for m in err.messages[:50])
                 + (f"\n- … dan {len(err.messages) - 50} kesalahan lain" if len(err.messages) > 50 else ""))
        return
    preview = skm.ikm(batch.frame)
    st.success(f"{fmt.angka(len(batch.frame))} kuesioner terbaca tanpa kesalahan. IKM berkas ini: "
               f"{fmt.angka(preview.ikm, 2)} (mutu {preview.mutu}). Periksa pratinjau, lalu simpan.")
    widgets.grid(batch.preview(), hide_index=True, width="stretch", height=260)
    if target is None:
        st.info("Pilih layanan yang dinilai sebelum menyimpan.")
        return

    def save(session) -> None:
        skm_hasil.save_paper(session, context.actor(), target, batch, filled_on)
        st.session_state[_IMPORT_N] = n + 1  # a fresh uploader for the next file

    if st.button(f"Simpan {fmt.angka(len(batch.frame))} kuesioner", type="primary", icon=":material/save:",
                 key=f"skmh-imp-save-{n}"):
        widgets.apply(save, f"{fmt.angka(len(batch.frame))} kuesioner kertas untuk {services[target]} disimpan.")
