"""Membuat ulang templat DOCX bawaan di folder ini (kop surat contoh yang polos).

    python data/templates/buat_templat.py

Setiap templat memakai placeholder Jinja (docxtpl): ``{{ nama }}`` untuk isian, ``{%tr for ... %}`` untuk
baris tabel yang berulang, ``{%p for ... %}`` untuk paragraf yang berulang (satu baris per butir). Daftar
placeholder setiap dokumen ada di README.md folder ini. Dinas tidak perlu menjalankan skrip ini: templat dapat
disunting di Word lalu diunggah di halaman *Templat dokumen*.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent


def _new() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(33), Cm(21.5)  # F4, the paper of Indonesian government letters
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(1.5), Cm(2)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(11)
    style.paragraph_format.space_after = Pt(2)
    return doc


def _line_below(paragraph) -> None:
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "thickThinSmallGap"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    paragraph._p.get_or_add_pPr().append(border)


def _p(doc, text: str = "", bold: bool = False, size: int | None = None, center: bool = False, right: bool = False):
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def kop(doc) -> None:
    """The letterhead: government, agency, address (typed here; an agency changes it in Word), a double line."""
    _p(doc, "PEMERINTAH {{ pemerintah|upper }}", bold=True, size=14, center=True)
    _p(doc, "{{ instansi|upper }}", bold=True, size=13, center=True)
    _p(doc, "Jalan Contoh No. 1, Telepon (0000) 000000 — alamat contoh, ubah di templat", size=9, center=True)
    _line_below(_p(doc, "", size=4))
    _p(doc)


def _numbered(doc, items: str) -> None:
    """One numbered paragraph per item of the list ``items`` (docxtpl's ``{%p %}`` paragraphs)."""
    _p(doc, f"{{%p for item in {items} %}}")
    _p(doc, "{{ loop.index }}. {{ item }}")
    _p(doc, "{%p endfor %}")


def _widths(table, *cm: float) -> None:
    """Fixed column widths (Word and LibreOffice read them from the grid, not only from the cells)."""
    table.autofit = False
    for column, width in zip(table.columns, cm):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _heading(doc, nomor: str | None = None, perihal: str | None = None, kepada: str | None = None) -> None:
    _p(doc, "{{ kota }}, {{ tanggal }}", right=True)
    if nomor:
        table = doc.add_table(rows=0, cols=3)
        for label, value in (("Nomor", nomor), ("Lampiran", "{{ lampiran }}"), ("Perihal", perihal)):
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = label, ":", value
        _widths(table, 2.5, 0.5, 12)
    if kepada:
        _p(doc)
        _p(doc, "Kepada Yth.")
        _p(doc, kepada, bold=True)
        _p(doc, "di —")
        _p(doc, "Tempat")
    _p(doc)


def _fields(doc, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=3)
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = label, ":", value
    _widths(table, 5, 0.5, 10)
    _p(doc)


def _loop_table(doc, headers: list[str], loop: str, cells: list[str]) -> None:
    """A table whose middle row repeats for each item (docxtpl's ``{%tr %}`` rows)."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        table.rows[0].cells[i].text = h
        table.rows[0].cells[i].paragraphs[0].runs[0].bold = True
    table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
    for i, c in enumerate(cells):
        table.rows[2].cells[i].text = c
    table.rows[3].cells[0].text = "{%tr endfor %}"
    _p(doc)


def _signature(doc, tembusan: bool = True) -> None:
    _p(doc)
    for text, bold in (("{{ ttd_jabatan }}", False), ("", False), ("", False), ("", False),
                       ("{{ ttd_nama }}", True), ("{{ ttd_pangkat }}", False), ("NIP. {{ ttd_nip }}", False)):
        paragraph = _p(doc, text, bold=bold)
        paragraph.paragraph_format.left_indent = Cm(9)
    if tembusan:
        _p(doc)
        _p(doc, "Tembusan:")
        _numbered(doc, "tembusan")


def tanda_terima():
    doc = _new()
    kop(doc)
    _p(doc, "TANDA TERIMA BERKAS", bold=True, size=13, center=True)
    _p(doc, "Nomor register: {{ nomor_register }}", center=True)
    _p(doc)
    _fields(doc, [("Layanan", "{{ layanan }}"), ("Nama pemohon", "{{ nama_pemohon }}"), ("NIK", "{{ nik_samar }}"),
                  ("Diterima", "{{ waktu_terima }}"), ("Petugas penerima", "{{ petugas }}")])
    _p(doc, "Kelengkapan berkas:", bold=True)
    _loop_table(doc, ["No", "Dokumen", "Keterangan"], "k in kelengkapan", ["{{ k.no }}", "{{ k.nama }}", "{{ k.ada }}"])
    _p(doc, "Pantau status berkas Anda dengan nomor register dan 4 angka terakhir NIK di:")
    _p(doc, "{{ tautan_status }}")
    _p(doc, "{{ qr }}")
    _signature(doc, tembusan=False)
    return doc


def pengembalian():
    doc = _new()
    kop(doc)
    _heading(doc, "{{ nomor_surat }}", "Pengembalian berkas permohonan {{ layanan }}", "Sdr. {{ nama_pemohon }}")
    _p(doc, "Dengan hormat,")
    _p(doc, "Berkas permohonan {{ layanan }} atas nama {{ nama_pemohon }} dengan nomor register {{ nomor_register }} "
            "yang diterima pada {{ tanggal_masuk }} belum dapat kami proses karena kelengkapan berikut belum ada:")
    _numbered(doc, "kekurangan")
    _p(doc, "{{ catatan }}")
    _p(doc, "Mohon kelengkapan tersebut dibawa ke loket pelayanan dengan menyebutkan nomor register di atas. "
            "Demikian disampaikan, atas perhatiannya diucapkan terima kasih.")
    _signature(doc)
    return doc


def kartu_ak1():
    doc = _new()
    kop(doc)
    _p(doc, "KARTU TANDA BUKTI PENDAFTARAN PENCARI KERJA (AK/I)", bold=True, size=13, center=True)
    _p(doc, "Nomor pendaftaran: {{ nomor_register }}", center=True)
    _p(doc)
    _fields(doc, [("Nama lengkap", "{{ nama }}"), ("NIK", "{{ nik }}"), ("Tanggal lahir", "{{ tanggal_lahir }}"),
                  ("Jenis kelamin", "{{ jenis_kelamin }}"), ("Pendidikan terakhir", "{{ pendidikan }}"),
                  ("Alamat", "{{ alamat }}"), ("Nomor HP", "{{ no_hp }}"), ("Tanggal pendaftaran", "{{ tanggal }}"),
                  ("Berlaku sampai", "{{ berlaku_sampai }}")])
    _p(doc, "Kartu ini wajib dibawa setiap berhubungan dengan pelayanan antarkerja dan dilaporkan kembali setiap "
            "6 bulan bila belum mendapat pekerjaan.", size=9)
    _signature(doc, tembusan=False)
    return doc


def rekomendasi_paspor():
    doc = _new()
    kop(doc)
    _heading(doc, "{{ nomor_surat }}", "Rekomendasi pembuatan paspor", "Kepala Kantor Imigrasi")
    _p(doc, "Dengan hormat,")
    _p(doc, "Yang bertanda tangan di bawah ini menerangkan bahwa:")
    _fields(doc, [("Nama", "{{ nama }}"), ("NIK", "{{ nik }}"), ("Tanggal lahir", "{{ tanggal_lahir }}"),
                  ("Negara tujuan", "{{ negara_tujuan }}"), ("Perusahaan penempatan", "{{ perusahaan_penempatan }}"),
                  ("Nomor register", "{{ nomor_register }}")])
    _p(doc, "telah memenuhi persyaratan administrasi sebagai calon pekerja migran Indonesia dan kami rekomendasikan "
            "untuk diterbitkan paspornya. Demikian rekomendasi ini dibuat untuk dipergunakan sebagaimana mestinya.")
    _signature(doc)
    return doc


def konfirmasi_desa():
    doc = _new()
    kop(doc)
    _heading(doc, "{{ nomor_surat }}", "Permintaan konfirmasi daftar calon penerima bantuan iuran BPJS "
                                       "Ketenagakerjaan pekerja rentan",
             "Kepala Desa/Lurah {{ desa }}, Kecamatan {{ kecamatan }}")
    _p(doc, "Dengan hormat,")
    _p(doc, "Dalam rangka penetapan peserta bantuan iuran BPJS Ketenagakerjaan pekerja rentan ({{ kohort }}), "
            "bersama ini kami sampaikan daftar sementara {{ jumlah }} calon penerima di {{ desa }}. Mohon daftar "
            "tersebut diperiksa (masih tinggal di desa, masih bekerja sebagai pekerja rentan, belum terdaftar) dan "
            "jawabannya disampaikan paling lambat {{ batas_jawaban }} ({{ hari_kerja }} hari kerja).")
    _p(doc, "Demikian disampaikan, atas kerja samanya diucapkan terima kasih.")
    _signature(doc)
    doc.add_page_break()
    _p(doc, "Lampiran surat nomor {{ nomor_surat }}: daftar sementara calon penerima — {{ desa }}", bold=True)
    _loop_table(doc, ["No", "NIK", "Nama", "Alamat", "Valid / Tidak valid"], "c in calon",
                ["{{ c.no }}", "{{ c.nik }}", "{{ c.nama }}", "{{ c.alamat }}", ""])
    return doc


def lampiran_sk():
    doc = _new()
    section = doc.sections[0]
    section.page_height, section.page_width = section.page_width, section.page_height  # landscape list
    kop(doc)
    _p(doc, "LAMPIRAN {{ sk }}", bold=True, center=True)
    _p(doc, "Penerima bantuan iuran BPJS Ketenagakerjaan pekerja rentan — {{ kohort }} ({{ jumlah }} peserta)",
       center=True)
    _p(doc)
    _loop_table(doc, ["No", "NIK", "Nama", "Desa/Kelurahan", "Kecamatan"], "p in peserta",
                ["{{ p.no }}", "{{ p.nik }}", "{{ p.nama }}", "{{ p.desa }}", "{{ p.kecamatan }}"])
    _signature(doc, tembusan=False)
    return doc


MAKERS = {"tanda_terima": tanda_terima, "pengembalian": pengembalian, "kartu_ak1": kartu_ak1,
          "rekomendasi_paspor": rekomendasi_paspor, "konfirmasi_desa": konfirmasi_desa, "lampiran_sk": lampiran_sk}


def main() -> None:
    for kode, make in MAKERS.items():
        path = HERE / f"{kode}.docx"
        doc = make()
        doc.core_properties.author = "Portal SOP"
        doc.core_properties.title = kode
        doc.save(path)
        print(f"dibuat: {path.name}")


if __name__ == "__main__":
    main()
