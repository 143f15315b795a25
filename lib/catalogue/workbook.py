"""An SOP as an XLSX workbook: the identity block and the procedure with its Mutu Baku and targets."""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from lib.base import fmt
from lib.base.sheets import to_bytes, write_table
from lib.catalogue.model import SOP, dasar_hukum_text


def sop_workbook(sop: SOP, revision_no: int | None = None) -> bytes:
    """The SOP as XLSX: an identity sheet and the procedure with its Mutu Baku and working-minute targets."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Identitas"
    p = sop.disahkan_oleh
    ident = [
        ("Nama SOP", sop.nama), ("Nomor SOP", sop.nomor or ""), ("Revisi di portal", revision_no or ""),
        ("Pemerintah", sop.pemerintah or ""), ("Instansi", sop.instansi), ("Unit", sop.unit or ""),
        ("Program", sop.program or ""),
        ("Tanggal Pembuatan", fmt.tanggal(sop.tanggal_pembuatan)), ("Tanggal Revisi", fmt.tanggal(sop.tanggal_revisi)),
        ("Tanggal Efektif", fmt.tanggal(sop.tanggal_efektif)),
        ("Disahkan oleh", "; ".join(x for x in (p.jabatan, p.nama, p.pangkat, f"NIP. {p.nip}" if p.nip else None) if x)
         if p else ""),
        ("Dasar Hukum", "\n".join(map(dasar_hukum_text, sop.dasar_hukum))),
        ("Kualifikasi Pelaksana", "\n".join(sop.kualifikasi_pelaksana)),
        ("Keterkaitan", "\n".join(sop.keterkaitan)), ("Peralatan/Perlengkapan", "\n".join(sop.peralatan)),
        ("Peringatan", "\n".join(sop.peringatan)), ("Pencatatan dan Pendataan", "\n".join(sop.pencatatan)),
    ]
    write_table(ws, ["Unsur", "Isi"], [list(r) for r in ident], [26, 100])
    ws2 = wb.create_sheet("Prosedur")
    header = ["No", "No. asli", "Kegiatan", "Pelaksana", "Pelaksana disimpulkan", "Kelengkapan", "Waktu",
              "Target (menit kerja)", "Output", "Keterangan", "Keputusan"]
    rows = []
    for s in sop.langkah:
        t = s.target
        dec = ""
        if s.keputusan:
            k = s.keputusan
            dec = (f"{k.pertanyaan} {k.ya.label} → {k.ya.ke}; {k.tidak.label} → {k.tidak.ke}")
        rows.append([s.no, s.no_asli, s.kegiatan, sop.actors[s.pelaksana].label, "ya" if s.pelaksana_inferred else "",
                     s.kelengkapan, s.waktu, t.working_minutes if t else None, s.output, s.keterangan, dec])
    write_table(ws2, header, rows, [5, 8, 50, 20, 12, 28, 14, 12, 28, 24, 30])
    total_row = len(rows) + 3
    ws2.cell(row=total_row, column=3, value="Total target (menit kerja)").font = Font(bold=True)
    ws2.cell(row=total_row, column=8, value=sop.target_working_minutes()).font = Font(bold=True)
    ws2.page_setup.orientation = "landscape"
    ws2.page_setup.paperSize = ws2.PAPERSIZE_A4
    ws2.page_setup.fitToWidth = 1
    return to_bytes(wb)
