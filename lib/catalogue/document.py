"""A catalogue document as HTML: the SOP in the PermenPAN-RB 35/2012 form, and a Standar Pelayanan.

The same HTML serves the SOP page and the printable file (A4 landscape), so what staff print is what
they see. Pure Python, no Streamlit.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from lib.base import fmt, mutu_baku
from lib.catalogue import flowchart
from lib.catalogue import model as catalog
from lib.catalogue.model import SOP, StandarPelayanan

CSS_PATH = Path(__file__).resolve().parents[2] / "assets" / "sop.css"


def css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def _items(values: list[str]) -> str:
    if not values:
        return "<span class='muted'>—</span>"
    if len(values) == 1:
        return escape(values[0])
    return "<ol>" + "".join(f"<li>{escape(v)}</li>" for v in values) + "</ol>"


def _pengesah(sop: SOP) -> str:
    p = sop.disahkan_oleh
    if p is None:
        return "<span class='muted'>tidak tercantum</span>"
    lines = [escape(p.jabatan)]
    if p.nama:
        lines.append(f"<b>{escape(p.nama)}</b>")
    if p.pangkat:
        lines.append(escape(p.pangkat))
    if p.nip:
        lines.append(f"NIP. {escape(p.nip)}")
    return "<br>".join(lines)


def identity_html(sop: SOP) -> str:
    """The identity block: agency on the left, the document's particulars on the right, then the lists."""
    left = ("<br>".join(escape(x) for x in (sop.pemerintah, sop.instansi, sop.unit) if x)
            or "<span class='muted'>Instansi tidak tercantum pada dokumen</span>")
    rows = [("Nomor SOP", escape(sop.nomor or "—")),
            *([("Program", escape(sop.program))] if sop.program else []),
            ("Tanggal Pembuatan", fmt.tanggal(sop.tanggal_pembuatan)),
            ("Tanggal Revisi", fmt.tanggal(sop.tanggal_revisi)),
            ("Tanggal Efektif", fmt.tanggal(sop.tanggal_efektif)),
            ("Disahkan oleh", _pengesah(sop)),
            ("Nama SOP", f"<b>{escape(sop.nama)}</b>")]
    if sop.kanal:
        rows.append(("Layanan / Kanal", f"{escape(sop.layanan)} — {escape(sop.kanal)}"))
    right = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    pairs = [("Dasar Hukum", [catalog.dasar_hukum_text(x) for x in sop.dasar_hukum], "Kualifikasi Pelaksana",
              sop.kualifikasi_pelaksana),
             ("Keterkaitan", sop.keterkaitan, "Peralatan/Perlengkapan", sop.peralatan),
             ("Peringatan", sop.peringatan, "Pencatatan dan Pendataan", sop.pencatatan)]
    lists = "".join(f"<tr><th>{a}</th><th>{c}</th></tr><tr><td>{_items(b)}</td><td>{_items(d)}</td></tr>"
                    for a, b, c, d in pairs)
    return (f"<table class='sop-id'><tr><td class='agency' rowspan='{len(rows) + 1}'>{left}</td></tr>{right}</table>"
            f"<table class='sop-lists'>{lists}</table>")


def target_summary(sop: SOP) -> str:
    """Total target in working time, plus the calendar targets that have no working-minute equivalent."""
    total = mutu_baku.format_working_minutes(sop.target_working_minutes())
    cal = sop.calendar_targets()
    if cal:
        total += " + " + ", ".join(t.label() if "kalender" in t.label() else f"{t.label()} (kalender)" for t in cal)
    return total


def procedure_html(sop: SOP) -> str:
    pages = flowchart.render_pages(sop)
    body = "".join(f"<div class='sop-page'>{svg}</div>" for svg in pages)
    body = f"<div class='sop-pages'>{body}</div>"
    notes = []
    if any(s.pelaksana_inferred for s in sop.langkah):
        notes.append("* Pelaksana disimpulkan dari judul kolom dan kata kerja, karena tanda kolom pelaksana "
                     "hilang pada dokumen sumber.")
    if any(s.no_asli for s in sop.langkah):
        notes.append("Angka dalam kurung adalah nomor yang tercetak pada dokumen sumber.")
    notes.append(f"Total mutu baku waktu: <b>{escape(target_summary(sop))}</b> "
                 f"(1 hari kerja = {mutu_baku.MINUTES_PER_WORKING_DAY} menit kerja).")
    return body + "<p class='sop-notes'>" + "<br>".join(notes) + "</p>"


def standar_html(sp: StandarPelayanan) -> str:
    """A Standar Pelayanan as a page a citizen can read: delivery first, then management."""
    def section(title: str, inner: str) -> str:
        return f"<section><h3>{escape(title)}</h3>{inner}</section>"

    produk = "<ul>" + "".join(f"<li>{escape(p)}</li>" for p in sp.produk) + "</ul>"
    syarat = "".join(f"<h4>{escape(k)}</h4>{_items(v) if len(v) > 1 else '<p>' + escape(v[0]) + '</p>'}"
                     for k, v in sp.persyaratan.items())
    prosedur = "".join(f"<h4>{escape(p.kanal)}</h4><ol>" + "".join(f"<li>{escape(x)}</li>" for x in p.langkah)
                       + "</ol>" for p in sp.prosedur)
    delivery = (section("Produk Layanan", produk) + section("Persyaratan", syarat)
                + section("Sistem, Mekanisme dan Prosedur", prosedur)
                + section("Jangka Waktu Pelayanan", f"<p>{escape(sp.jangka_waktu)}</p>")
                + section("Biaya/Tarif", f"<p>{escape(sp.biaya)}</p>")
                + section("Penanganan Pengaduan, Saran dan Masukan", _items(sp.penanganan_pengaduan)))
    management = "".join(section(t, v) for t, v in (
        ("Dasar Hukum", _items([catalog.dasar_hukum_text(x) for x in sp.dasar_hukum])),
        ("Sarana dan Prasarana", _items(sp.sarana_prasarana)),
        ("Kompetensi Pelaksana", _items(sp.kompetensi_pelaksana)),
        ("Pengawasan Internal", f"<p>{escape(sp.pengawasan_internal or '—')}</p>"),
        ("Jumlah Pelaksana", f"<p>{escape(sp.jumlah_pelaksana or '—')}</p>"),
        ("Jaminan Pelayanan", _items(sp.jaminan_pelayanan)),
        ("Jaminan Keamanan dan Keselamatan Pelayanan", _items(sp.jaminan_keamanan)),
        ("Evaluasi Kinerja Pelaksana", _items(sp.evaluasi_kinerja))))
    intro = f"<p class='lead'>{escape(sp.ringkasan)}</p>" if sp.ringkasan else ""
    return (f"<div class='sp-doc'>{intro}<h2>A. Komponen Penyampaian Pelayanan</h2>{delivery}"
            f"<h2>B. Komponen Pengelolaan Pelayanan</h2>{management}</div>")


def printable_html(doc: SOP | StandarPelayanan, revision_no: int | None = None) -> str:
    """A standalone HTML file that prints cleanly on A4 landscape (SOP) or portrait (standar)."""
    rev = f" — revisi {revision_no}" if revision_no else ""
    if doc.jenis == "sop":
        body = (f"<h1>{escape(doc.nama)}</h1><div class='sop-first'>{identity_html(doc)}</div>"
                f"{procedure_html(doc)}")
        page = "@page { size: A4 landscape; margin: 10mm; }"
    else:
        body = f"<h1>{escape(doc.nama)}</h1><p>{escape(doc.instansi)}</p>{standar_html(doc)}"
        page = "@page { size: A4 portrait; margin: 15mm; }"
    return (f"<!doctype html><html lang='id'><head><meta charset='utf-8'><title>{escape(doc.nama)}{rev}</title>"
            f"<style>{page}{css()}</style></head><body class='printable'>{body}</body></html>")
