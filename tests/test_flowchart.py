"""The procedure table's flowchart: one symbol per step in its actor's column, the five symbols of
PermenPAN-RB 35/2012, and pages that break with off-page connectors."""
import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from lib.catalogue import document, flowchart
from lib.catalogue import model as catalog
from lib.catalogue import workbook as export

SOPS = {k: v for k, v in catalog.load_catalog().items() if v.jenis == "sop"}
NS = {"s": "http://www.w3.org/2000/svg"}


def symbols(svg: str):
    root = ET.fromstring(svg)  # also proves the SVG is well-formed XML
    out = []
    for el in root.iter():
        cls = el.get("class", "")
        if "sym" in cls.split():
            out.append((cls.split()[1], el.find("s:title", NS).text))
    return root, out


@pytest.mark.parametrize("sop_id", sorted(SOPS))
def test_every_step_has_exactly_one_symbol(sop_id):
    sop = SOPS[sop_id]
    titles = []
    for svg in flowchart.render_pages(sop):
        _, syms = symbols(svg)
        titles += [t for kind, t in syms if t != "Selesai"]
    assert titles == [f"{s.no}. {s.kegiatan}" for s in sop.langkah]


@pytest.mark.parametrize("sop_id", sorted(SOPS))
def test_first_and_last_steps_are_terminators_and_decisions_are_diamonds(sop_id):
    sop = SOPS[sop_id]
    kinds = {}
    for svg in flowchart.render_pages(sop):
        for kind, title in symbols(svg)[1]:
            if title != "Selesai":
                kinds[int(title.split(".")[0])] = kind
    for s in sop.langkah:
        if s.keputusan:
            assert kinds[s.no] == "decision"
        elif s.no in (1, len(sop.langkah)):
            assert kinds[s.no] == "terminator"
        else:
            assert kinds[s.no] == "process"


def test_a_symbol_stands_in_its_actors_column():
    sop = SOPS["kartu-ak1"]
    lay = flowchart._Layout(sop)
    root, _ = symbols(flowchart.render_pages(sop)[0])
    for el in root.iter():
        if "sym" in el.get("class", "").split() and el.tag.endswith("rect"):
            no = int(el.find("s:title", NS).text.split(".")[0])
            cx = float(el.get("x")) + float(el.get("width")) / 2
            col = lay.actor_col(sop.langkah[no - 1])
            assert col.x < cx < col.x + col.w


def test_a_long_sop_breaks_into_pages_joined_by_off_page_connectors():
    sop = SOPS["pekerja-rentan"]
    pages = flowchart.render_pages(sop)
    assert len(pages) >= 3
    assert sum(len(p) for p in flowchart.paginate(sop)) == 25
    for i, svg in enumerate(pages):
        connectors = svg.count('class="offpage"')
        expected = (1 if i > 0 else 0) + (1 if i < len(pages) - 1 else 0)
        assert connectors == expected, f"halaman {i + 1}"


def test_each_page_fits_an_a4_landscape_sheet():
    for sop in SOPS.values():
        for svg in flowchart.render_pages(sop):
            root = ET.fromstring(svg)
            _, _, w, h = map(float, root.get("viewBox").split())
            assert h <= w * flowchart.PAGE_RATIO + 2 or len(flowchart.paginate(sop)) == 1 and h < w


def test_the_rework_branch_is_labelled_on_the_chart():
    svg = flowchart.render_pages(SOPS["kartu-ak1"])[0]
    assert ">tidak lengkap<" in svg and ">lengkap<" in svg


def test_a_branch_to_the_end_draws_a_selesai_terminator():
    svg = "".join(flowchart.render_pages(SOPS["perselisihan-hi"]))
    assert "<title>Selesai</title>" in svg and ">sepakat<" in svg


def test_text_from_the_catalogue_is_escaped():
    data = catalog.to_data(SOPS["kartu-ak1"])
    data["langkah"][0]["kegiatan"] = "<script>alert(1)</script> & lain-lain"
    sop = catalog.parse_document(data)
    svg = flowchart.render_pages(sop)[0]
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_the_document_shows_the_total_target_in_working_time():
    html = document.procedure_html(SOPS["kartu-ak1"])
    assert "35 menit kerja" in html
    assert document.target_summary(SOPS["pendaftaran-bpu"]).endswith(" + 7 hari kalender")
    assert "tanggal 1–15 setiap bulan (kalender)" in document.target_summary(SOPS["pbi-jk"])


def test_the_printable_file_is_a4_landscape():
    html = document.printable_html(SOPS["kartu-ak1"], 1)
    assert "size: A4 landscape" in html and "sop-flow" in html and "503/48/SOP.TK/DISPMPTSPTK/2024" in html


def test_the_xlsx_export_holds_every_step_and_target():
    sop = SOPS["pbi-jk"]
    wb = load_workbook(io.BytesIO(export.sop_workbook(sop, 1)))
    ws = wb["Prosedur"]
    rows = list(ws.iter_rows(min_row=2, max_row=1 + len(sop.langkah), values_only=True))
    assert [r[0] for r in rows] == [s.no for s in sop.langkah]
    assert rows[6][6] == "2-3 Jam" and rows[6][7] == 180
    assert rows[0][7] is None  # a calendar window has no working minutes
    assert wb["Identitas"]["B2"].value == "Peserta PBI-JK dan PBPU BP Pemda"


def test_the_xlsx_export_neutralises_formulas():
    data = catalog.to_data(SOPS["kartu-ak1"])
    data["langkah"][0]["kegiatan"] = "=HYPERLINK(\"http://x\")"
    wb = load_workbook(io.BytesIO(export.sop_workbook(catalog.parse_document(data))))
    cell = wb["Prosedur"]["C2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")
