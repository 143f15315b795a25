"""Validasi desa: a desa's validation template, its upload, the preview with the problems, and "Terima"."""
import hashlib

import pandas as pd
import streamlit as st

from lib.base import fmt
from lib.base.sheets import XLSX_MIME
from lib.casework import nik
from lib.rentan import desa as rentan
from lib.rentan import tampilan, validasi
from lib.ui import context, widgets

_RED, _YELLOW = "background-color: #fde2e1", "background-color: #fff4c2"
_STATE = {"valid": "Sah", "warning": "Sah, dengan catatan", "invalid": "Tidak sah"}
#: Rows the preview table shows at most (a pandas Styler refuses more than 262,144 cells, and a village needs
#: the rows with problems, which the error report holds in full anyway).
PREVIEW_ROWS = 1000
_JUST_ACCEPTED = "val-baru-diterima"  # sha256 of the file this session has just accepted
_md = fmt.md  # text the village wrote (a status, a heading, a file name), shown literally


def render() -> None:
    widgets.show_flash()
    widgets.header("Validasi desa", "Unduh templat validasi desa/kelurahan, isi, lalu unggah kembali. Berkas diperiksa "
                   "dulu; data baru disimpan setelah Anda menekan Terima.")
    actor = context.actor()
    with context.db()() as session:
        choices = rentan.desa_for_upload(session, actor)
    if not choices:
        st.info("Belum ada desa/kelurahan yang dapat Anda validasi. Hubungi pengelola portal bila akun Anda "
                "seharusnya terhubung ke satu desa.")
        return
    by_kode = {d.kode: d for d in choices}
    kode = st.selectbox("Desa/kelurahan", list(by_kode), format_func=lambda k: by_kode[k].label, key="val-desa",
                        disabled=len(choices) == 1, placeholder="Pilih…")
    desa = by_kode[kode]
    if not desa.candidates:
        st.info(f"{desa.label} belum memiliki Daftar Sementara Calon Penerima Manfaat. Templat validasi tersedia "
                "setelah staf dinas menyusun daftar calon dari data DTKS/P3KE/DTSEN.")
        return
    _template(desa)
    _upload(desa)
    _history(desa)


def _template(desa: rentan.DesaInfo) -> None:
    st.subheader("1. Unduh templat", anchor=False)
    st.caption(f"{fmt.angka(desa.candidates)} calon penerima. Kolom NIK sudah berformat Teks; pilih Status dari "
               "daftar pilihan.")

    actor, factory = context.actor(), context.db()  # the callable runs outside the script run: no session state

    def build() -> bytes:
        with factory.begin() as session:
            return rentan.template(session, actor, desa.kode)

    st.download_button("Unduh templat validasi (XLSX)", build, file_name=f"validasi-{desa.kode}.xlsx",
                       mime=XLSX_MIME,
                       icon=":material/download:", on_click="ignore", key=f"val-templat-{desa.kode}")


def _upload(desa: rentan.DesaInfo) -> None:
    st.subheader("2. Unggah berkas yang sudah diisi", anchor=False)
    file = widgets.file_upload("Berkas validasi (XLSX, XLS, ODS atau CSV)", type=["xlsx", "xls", "ods", "csv"],
                               key=f"val-berkas-{desa.kode}")
    if file is None:
        return
    data = file.getvalue()
    # One check per desa is kept: the file now in the uploader. Another file replaces it (a village operator
    # trying five versions of a 100,000-row file keeps one in the server's memory, not five).
    key, sha = f"val-periksa-{desa.kode}", hashlib.sha256(data).hexdigest()
    if st.session_state.get(key, (None,))[0] != sha:
        st.session_state.pop(key, None)
        try:
            with st.spinner("Membaca dan memeriksa berkas…"), context.db()() as session:
                st.session_state[key] = (sha, rentan.check_upload(session, context.actor(), desa.kode, data, file.name))
        except validasi.UploadError as err:
            st.error(str(err))
            return
        except widgets.USER_ERRORS as err:
            st.error(str(err))
            return
    checked: rentan.Checked = st.session_state[key][1]
    _summary(checked)
    _problems(checked)
    _actions(checked, desa, key)  # above the table: on a slow line the table's code arrives last and pushes down
    _preview(checked)


def _summary(checked: rentan.Checked) -> None:
    s = checked.validation.summary
    c = st.columns(4)
    c[0].metric("Baris", fmt.angka(s.rows))
    c[1].metric("Sah", fmt.angka(s.valid))
    c[2].metric("Sah, dengan catatan", fmt.angka(s.valid_with_warning),
                help="Baris sah yang punya catatan; sudah termasuk dalam angka Sah. Catatan pada baris yang tidak "
                     "sah tidak dihitung di sini.")
    c[3].metric("Tidak sah", fmt.angka(s.invalid))
    up = checked.upload
    st.caption(f"{_md(up.filename)} · lembar {_md(up.sheet or 'CSV')} · judul kolom di baris {up.header_row}"
               + (f" · {fmt.angka(s.ignored)} baris tanpa NIK, nama, dan status dilewati" if s.ignored else ""))
    if up.sheet_hidden:
        st.warning(f"Data dibaca dari lembar tersembunyi “{_md(up.sheet)}”. Pastikan itu lembar yang Anda isi; bila "
                   "bukan, hapus lembar itu atau tampilkan lembar yang benar di Excel, lalu unggah lagi.")
    prev = checked.previous
    if prev is not None and st.session_state.get(_JUST_ACCEPTED) == up.sha256:
        st.info(f"Berkas ini sudah diterima pada {fmt.waktu(prev.uploaded_at)} ({fmt.angka(prev.rows_imported)} "
                "baris) dan tercantum di “Berkas yang sudah diterima” di bawah. Untuk mengubah data, perbaiki "
                "berkasnya lalu unggah lagi.")
    elif prev is not None:
        st.info(f"Berkas yang sama persis sudah diterima pada {fmt.waktu(prev.uploaded_at)} "
                f"({fmt.angka(prev.rows_imported)} baris). Mengunggahnya lagi tidak mengubah apa pun.")


def _problems(checked: rentan.Checked) -> None:
    errors, warnings = checked.validation.errors, checked.validation.warnings
    if errors:
        st.error(f"{fmt.angka(len(errors))} masalah membuat baris tidak sah, pada "
                 f"{fmt.angka(checked.validation.summary.invalid)} baris. Baris itu tidak akan disimpan. Unduh laporan "
                 "kesalahan di bawah: sel yang salah berwarna merah dan alasannya ada di kolom Alasan. Perbaiki, "
                 "simpan, lalu unggah kembali.")
        st.markdown("\n".join(f"- {_md(p.message)}" for p in errors[:100]))
        if len(errors) > 100:
            st.caption(f"…dan {fmt.angka(len(errors) - 100)} lagi: lihat laporan kesalahan.")
    if warnings:
        # A warning never makes a row invalid, but it may sit on a row that is invalid for another reason.
        with st.expander(tampilan.notes_heading(checked.validation), expanded=not errors):
            st.markdown("\n".join(f"- {_md(p.message)}" for p in warnings[:100]))
            if len(warnings) > 100:
                st.caption(f"…dan {fmt.angka(len(warnings) - 100)} lagi: lihat laporan kesalahan.")


def _preview(checked: rentan.Checked) -> None:
    records = {r.excel_row: r for r in checked.validation.valid_rows}
    up = checked.upload
    pairs = list(zip(checked.validation.rows, up.rows))
    if len(pairs) > PREVIEW_ROWS:
        # The rows to fix first (invalid, then with a note), each in the village's row order.
        pairs = sorted(((res, row) for res, row in pairs if res.problems),
                       key=lambda p: (p[0].state != "invalid", p[0].excel_row))[:PREVIEW_ROWS]
        st.caption(f"Berkas ini berisi {fmt.angka(len(checked.validation.rows))} baris. Tabel di bawah hanya "
                   f"menampilkan {fmt.angka(len(pairs))} baris bermasalah, yang tidak sah lebih dahulu; semua baris "
                   "ada di laporan kesalahan.")
        if not pairs:
            return
    rows, states = [], []
    for res, row in pairs:
        rec = records.get(res.excel_row)
        raw_nik = rec.nik if rec else _typed(up.value(row, "nik"))
        reasons, notes = tampilan.row_reasons(res.problems)
        rows.append({"Baris": res.excel_row, "NIK": nik.mask(raw_nik), "Nama": rec.nama if rec else
                     _typed_text(up.value(row, "nama")), "Status": validasi.STATUS_LABELS.get(rec.status) if rec else
                     _typed_text(up.value(row, "status")), "Hasil": _STATE[res.state],
                     "Alasan tidak sah": reasons, "Catatan": notes})
        states.append(res.state)
    frame = pd.DataFrame(rows)
    frame = frame.drop(columns=[c for c in ("Alasan tidak sah", "Catatan") if not frame[c].any()])
    colour = {"invalid": _RED, "warning": _YELLOW}
    styled = frame.style.apply(lambda row: [colour.get(states[row.name], "")] * len(row), axis=1)
    text = st.column_config.TextColumn
    widgets.grid(styled, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(rows)),
                 config={"Baris": st.column_config.NumberColumn(width=60), "Hasil": text(width=130),
                                "Alasan tidak sah": text(width="large"), "Catatan": text(width="medium")})


def _typed_text(value) -> str:
    """A cell as the village typed it (a number cell without ``.0``), for the preview."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value)


def _typed(value) -> str:
    """A NIK cell as the village typed it, for the masked preview (a number cell without its exponent)."""
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return nik.normalize(value or "")


def _actions(checked: rentan.Checked, desa: rentan.DesaInfo, key: str) -> None:
    s = checked.validation.summary
    c1, c2 = st.columns(2)
    if checked.validation.problems:
        actor, factory = context.actor(), context.db()  # the callable runs outside the script run

        def report() -> bytes:
            with factory.begin() as session:
                return rentan.error_report(session, actor, checked)

        # With invalid rows, fixing the file is the main way on: the report is the primary button then.
        c1.download_button("Unduh laporan kesalahan (XLSX)", report, file_name=f"perbaikan-{checked.upload.filename}"
                           .rsplit(".", 1)[0] + ".xlsx", icon=":material/report:", on_click="ignore",
                           key="val-laporan", type="primary" if s.invalid else "secondary")
    if checked.previous is not None or not s.valid:
        return
    label = f"Terima {fmt.angka(s.valid)} baris sah" + (f" (lewati {fmt.angka(s.invalid)} tidak sah)"
                                                         if s.invalid else "")
    if c2.button(label, type="secondary" if s.invalid else "primary", icon=":material/check:", key="val-terima"):
        def accept(session) -> rentan.Accepted:
            done = rentan.accept(session, context.actor(), checked)
            st.session_state.pop(key, None)  # checked again after the rerun: now recognised as accepted
            st.session_state[_JUST_ACCEPTED] = checked.upload.sha256
            return done

        widgets.apply(accept, lambda done: f"Berkas diterima untuk {desa.label}: {fmt.angka(s.valid)} baris disimpan."
                      + (" Berkas ini juga tercatat sebagai jawaban desa atas surat konfirmasi dinas."
                         if done.letters_answered else ""))


def _history(desa: rentan.DesaInfo) -> None:
    """The files already accepted for the desa, newest first: what "Terima" did, and that a file sent twice
    counts once."""
    with context.db()() as session:
        done = rentan.batches(session, context.actor(), desa.kode)
    if not done:
        return
    st.subheader("Berkas yang sudah diterima", anchor=False)
    st.markdown("\n".join(
        f"- {fmt.waktu(b.uploaded_at)} · {_md(b.filename)} · {fmt.angka(b.rows_imported)} baris disimpan"
        + (f", {fmt.angka(b.rows_invalid)} baris tidak sah dilewati" if b.rows_invalid else "") for b in done[:10]))
    if len(done) > 10:
        st.caption(f"…dan {fmt.angka(len(done) - 10)} berkas sebelumnya.")
