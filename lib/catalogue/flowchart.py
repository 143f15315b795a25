"""The SOP procedure table with its flowchart, drawn as SVG (PermenPAN-RB 35/2012 form).

Columns: No | Kegiatan | one column per actor (pelaksana) | Mutu Baku: Kelengkapan, Waktu, Output | Ket.
The actor columns carry the flowchart, drawn with the five symbols of the regulation: terminator (the
first and the last step), process, decision (with its yes/no branches), arrows, and the off-page
connector where the table breaks onto the next page.

The table is cut into pages that fit A4 landscape; :func:`render_pages` returns one SVG per page.
Pure Python: no Streamlit, so the same drawing serves the page, the printable file and the tests.
"""
from __future__ import annotations

import string
import textwrap
from dataclasses import dataclass
from html import escape

from lib.catalogue.model import END, SOP, Langkah

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
FONT_SIZE = 11
LINE = 14
CHAR_W = 6.3  # a safe average glyph width for FONT_SIZE in the fonts above
PAD = 6

COL_NO, COL_KEGIATAN, COL_ACTOR = 56, 250, 86
COL_KELENGKAPAN, COL_WAKTU, COL_OUTPUT, COL_KET = 130, 74, 130, 96
HEADER_TOP = 22
MIN_ROW = 62
STRIP = 38  # height of the strip that holds an off-page connector

SHAPE_W, SHAPE_H = 54, 26
DIAMOND_W, DIAMOND_H = 62, 38

#: Page height budget relative to the table width (A4 landscape minus margins and the page title).
PAGE_RATIO = 0.62

#: The Mutu Baku columns, left to right.
_MUTU_KEYS = ("kelengkapan", "waktu", "output")

STROKE = "#1f2937"
ACCENT = "#0b5394"


@dataclass(frozen=True)
class _Col:
    key: str
    x: float
    w: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def _wrap(text: str, width: float) -> list[str]:
    chars = max(4, int((width - 2 * PAD) / CHAR_W))
    lines: list[str] = []
    for para in (text or "").splitlines() or [""]:
        lines.extend(textwrap.wrap(para, chars, break_long_words=True, break_on_hyphens=True) or [""])
    return lines


def _text(x: float, y: float, lines: list[str], anchor: str = "start", weight: str = "normal",
          size: int = FONT_SIZE) -> str:
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE}">{escape(t)}</tspan>'
                    for i, t in enumerate(lines))
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}">{spans}</text>')


class _Layout:
    def __init__(self, sop: SOP):
        self.sop = sop
        cols = [("no", COL_NO), ("kegiatan", COL_KEGIATAN)]
        cols += [(f"actor:{a.kode}", COL_ACTOR) for a in sop.pelaksana]
        cols += [("kelengkapan", COL_KELENGKAPAN), ("waktu", COL_WAKTU), ("output", COL_OUTPUT), ("ket", COL_KET)]
        x, self.cols = 0.0, {}
        for key, w in cols:
            self.cols[key] = _Col(key, x, w)
            x += w
        self.width = x
        label_lines = max(len(_wrap(a.label, COL_ACTOR)) for a in sop.pelaksana)
        self.header_h = HEADER_TOP + max(2, label_lines) * LINE + 10
        self.row_lines = {s.no: self._cells(s) for s in sop.langkah}
        self.row_h = {no: max(MIN_ROW, max(len(v) for v in cells.values()) * LINE + 2 * PAD + 4)
                      for no, cells in self.row_lines.items()}

    def _cells(self, s: Langkah) -> dict[str, list[str]]:
        waktu = s.waktu or "—"
        ket = s.keterangan
        no = str(s.no) if s.no_asli is None else f"{s.no} ({s.no_asli})"
        return {
            "no": [no + ("*" if s.pelaksana_inferred else "")],
            "kegiatan": _wrap(s.kegiatan, COL_KEGIATAN),
            "kelengkapan": _wrap(s.kelengkapan, COL_KELENGKAPAN),
            "waktu": _wrap(waktu, COL_WAKTU),
            "output": _wrap(s.output, COL_OUTPUT),
            "ket": _wrap(ket, COL_KET),
        }

    def actor_col(self, step: Langkah) -> _Col:
        return self.cols[f"actor:{step.pelaksana}"]

    def actor_index(self, step: Langkah) -> int:
        return [a.kode for a in self.sop.pelaksana].index(step.pelaksana)


def paginate(sop: SOP, max_height: float | None = None) -> list[list[Langkah]]:
    """Split the steps into pages that fit the height budget (at least one step per page)."""
    lay = _Layout(sop)
    budget = max_height if max_height is not None else lay.width * PAGE_RATIO
    pages: list[list[Langkah]] = [[]]
    used = lay.header_h + STRIP  # room for an incoming connector strip
    for s in sop.langkah:
        h = lay.row_h[s.no]
        if pages[-1] and used + h + STRIP > budget:
            pages.append([])
            used = lay.header_h + STRIP
        pages[-1].append(s)
        used += h
    return pages


def _shape(kind: str, cx: float, cy: float, title: str) -> str:
    t = f"<title>{escape(title)}</title>"
    if kind == "terminator":
        return (f'<rect class="sym terminator" x="{cx - SHAPE_W / 2:.1f}" y="{cy - SHAPE_H / 2:.1f}" '
                f'width="{SHAPE_W}" height="{SHAPE_H}" rx="{SHAPE_H / 2}" ry="{SHAPE_H / 2}">{t}</rect>')
    if kind == "decision":
        pts = [(cx, cy - DIAMOND_H / 2), (cx + DIAMOND_W / 2, cy), (cx, cy + DIAMOND_H / 2), (cx - DIAMOND_W / 2, cy)]
        return f'<polygon class="sym decision" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}">{t}</polygon>'
    return (f'<rect class="sym process" x="{cx - SHAPE_W / 2:.1f}" y="{cy - SHAPE_H / 2:.1f}" '
            f'width="{SHAPE_W}" height="{SHAPE_H}">{t}</rect>')


def _connector(cx: float, top: float, label: str, pointing_down: bool = True) -> str:
    """Off-page connector: a pentagon (a square with a pointed bottom) holding a letter."""
    w, h = 26, 28
    x0, y0 = cx - w / 2, top
    pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h * 0.62), (cx, y0 + h), (x0, y0 + h * 0.62)]
    poly = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
    return (f'<g class="offpage"><polygon points="{poly}"/>'
            f'{_text(cx, y0 + 14, [label], anchor="middle", weight="bold", size=10)}</g>')


def _half(kind: str) -> tuple[float, float]:
    if kind == "decision":
        return DIAMOND_W / 2, DIAMOND_H / 2
    return SHAPE_W / 2, SHAPE_H / 2


def _kind(sop: SOP, s: Langkah) -> str:
    if s.keputusan is not None:
        return "decision"
    if s.no == 1 or s.no == len(sop.langkah):
        return "terminator"
    return "process"


def _arrow(points: list[tuple[float, float]], cls: str = "flow") -> str:
    d = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))
    return f'<path class="{cls}" d="{d}" marker-end="url(#sop-arrow)"/>'


def _label(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (f'<text class="branch" x="{x:.1f}" y="{y:.1f}" font-size="9.5" text-anchor="{anchor}" '
            f'font-style="italic">{escape(text)}</text>')


def render_pages(sop: SOP, max_height: float | None = None) -> list[str]:
    """One SVG string per printed page of the procedure table."""
    lay = _Layout(sop)
    pages = paginate(sop, max_height)
    by_no = {s.no: s for s in sop.langkah}
    page_of = {s.no: i for i, page in enumerate(pages) for s in page}
    letters = iter(string.ascii_uppercase + string.ascii_lowercase)
    # One connector letter per pair of consecutive steps split across pages, and per branch that jumps pages.
    breaks = {}
    for i, page in enumerate(pages[:-1]):
        breaks[page[-1].no] = next(letters)
    jumps = {}
    for s in sop.langkah:
        if s.keputusan:
            for name in ("ya", "tidak"):
                ke = getattr(s.keputusan, name).ke
                if ke != END and page_of[ke] != page_of[s.no] and not (ke == s.no + 1 and s.no in breaks):
                    jumps[(s.no, name)] = next(letters)
    return [_render_page(lay, page, i, len(pages), by_no, page_of, breaks, jumps) for i, page in enumerate(pages)]


def _render_page(lay: _Layout, steps: list[Langkah], index: int, total: int, by_no: dict, page_of: dict,
                 breaks: dict, jumps: dict) -> str:
    sop = lay.sop
    incoming = index > 0
    outgoing = steps[-1].no in breaks
    row_top, body_bottom = _row_tops(lay, steps, incoming)
    height = body_bottom + (STRIP if outgoing else 0)
    parts = _header(lay) + _grid(lay, steps, row_top, body_bottom, height, incoming, outgoing)
    parts += _cell_texts(lay, steps, row_top)

    # --- symbols ---
    center = {s.no: (lay.actor_col(s).cx, row_top[s.no] + lay.row_h[s.no] / 2) for s in steps}
    for s in steps:
        cx, cy = center[s.no]
        parts.append(_shape(_kind(sop, s), cx, cy, f"{s.no}. {s.kegiatan}"))

    # --- arrows between consecutive steps ---
    for s in steps:
        if s.keputusan and s.keputusan.ya.ke != s.no + 1 and s.keputusan.tidak.ke != s.no + 1:
            pass  # a decision whose branches both jump: drawn below
        elif s.no + 1 in center:
            parts.append(_flow_down(lay, s, by_no[s.no + 1], center, row_top))
    parts += _page_connectors(lay, steps, center, by_no, breaks, body_bottom, incoming, outgoing)

    # --- decision branches that do not go to the next step ---
    for s in steps:
        if not s.keputusan:
            continue
        for name in ("ya", "tidak"):
            branch = getattr(s.keputusan, name)
            if branch.ke == s.no + 1:
                continue
            parts.append(_branch(lay, s, branch, name, center, row_top, page_of, jumps))
    return _svg(lay, parts, height, index, total)


def _row_tops(lay: _Layout, steps: list[Langkah], incoming: bool) -> tuple[dict[int, float], float]:
    """(step number → top of its row, bottom of the last row) on a page; an incoming connector's strip first."""
    y = lay.header_h + (STRIP if incoming else 0)
    row_top = {}
    for s in steps:
        row_top[s.no] = y
        y += lay.row_h[s.no]
    return row_top, y


def _header(lay: _Layout) -> list[str]:
    """The header band: No, Kegiatan, Pelaksana over one column per actor, Mutu Baku over its three, Ket."""
    cols = lay.cols
    actor_keys = [k for k in cols if k.startswith("actor:")]
    ax0, ax1 = cols[actor_keys[0]].x, cols[actor_keys[-1]].x + COL_ACTOR
    mx0, mx1 = cols["kelengkapan"].x, cols["output"].x + COL_OUTPUT
    parts = [f'<rect class="head" x="0" y="0" width="{lay.width}" height="{lay.header_h}"/>']
    for key, label in (("no", "No"), ("kegiatan", "Kegiatan"), ("ket", "Ket.")):
        c = cols[key]
        parts.append(_text(c.cx, lay.header_h / 2 + 4, [label], anchor="middle", weight="bold"))
    parts.append(_text((ax0 + ax1) / 2, 15, ["Pelaksana"], anchor="middle", weight="bold"))
    parts.append(_text((mx0 + mx1) / 2, 15, ["Mutu Baku"], anchor="middle", weight="bold"))
    for key, a in zip(actor_keys, lay.sop.pelaksana):
        c = cols[key]
        parts.append(_text(c.cx, HEADER_TOP + 12, _wrap(a.label, COL_ACTOR), anchor="middle", weight="bold", size=10))
    for key, label in zip(_MUTU_KEYS, ("Kelengkapan", "Waktu", "Output")):
        c = cols[key]
        parts.append(_text(c.cx, HEADER_TOP + 12, [label], anchor="middle", weight="bold", size=10))
    return parts


def _grid(lay: _Layout, steps: list[Langkah], row_top: dict, body_bottom: float, height: float, incoming: bool,
          outgoing: bool) -> list[str]:
    """The table's lines (one path) and its frame, with the strips of the off-page connectors."""
    cols = lay.cols
    actor_keys = [k for k in cols if k.startswith("actor:")]
    ax0, ax1 = cols[actor_keys[0]].x, cols[actor_keys[-1]].x + COL_ACTOR
    mx0, mx1 = cols["kelengkapan"].x, cols["output"].x + COL_OUTPUT
    grid = [f'M0,{lay.header_h}H{lay.width}', f'M{ax0},{HEADER_TOP}H{ax1}', f'M{mx0},{HEADER_TOP}H{mx1}']
    for key, c in cols.items():
        if c.x > 0:
            top = HEADER_TOP if (key in actor_keys[1:] or key in _MUTU_KEYS[1:]) else 0
            grid.append(f"M{c.x},{top}V{height}")
    for s in steps[1:]:
        grid.append(f"M0,{row_top[s.no]}H{lay.width}")
    if incoming:
        grid.append(f"M0,{lay.header_h + STRIP}H{lay.width}")
    if outgoing:
        grid.append(f"M0,{body_bottom}H{lay.width}")
    return [f'<path class="grid" d="{" ".join(grid)}"/>',
            f'<rect class="frame" x="0" y="0" width="{lay.width}" height="{height}"/>']


def _cell_texts(lay: _Layout, steps: list[Langkah], row_top: dict) -> list[str]:
    """The text of every row's cells: No, Kegiatan and the Mutu Baku columns, Ket."""
    cols = lay.cols
    parts = []
    for s in steps:
        cells = lay.row_lines[s.no]
        top = row_top[s.no] + PAD + FONT_SIZE
        for key in ("kegiatan", "kelengkapan", "output", "ket"):
            c = cols[key]
            parts.append(_text(c.x + PAD, top, cells[key]))
        parts.append(_text(cols["no"].cx, top, cells["no"], anchor="middle"))
        parts.append(_text(cols["waktu"].cx, top, cells["waktu"], anchor="middle"))
    return parts


def _page_connectors(lay: _Layout, steps: list[Langkah], center: dict, by_no: dict, breaks: dict,
                     body_bottom: float, incoming: bool, outgoing: bool) -> list[str]:
    """The off-page connectors of a page: the one at the top continuing the previous page, the one at the bottom
    continued on the next, with their arrows."""
    sop = lay.sop
    parts = []
    if incoming:
        first = steps[0]
        prev_no = first.no - 1
        cx, cy = center[first.no]
        top = lay.header_h + 4
        parts.append(_connector(cx, top, breaks[prev_no]))
        _, hh = _half(_kind(sop, first))
        parts.append(_arrow([(cx, top + 28), (cx, cy - hh)]))
    if outgoing:
        last = steps[-1]
        cx, cy = center[last.no]
        _, hh = _half(_kind(sop, last))
        nxt = by_no[last.no + 1]
        if not (last.keputusan and last.keputusan.ya.ke != nxt.no and last.keputusan.tidak.ke != nxt.no):
            parts.append(_arrow([(cx, cy + hh), (cx, body_bottom + 4)]))
            parts.append(_connector(cx, body_bottom + 5, breaks[last.no]))
            if last.keputusan:
                branch = last.keputusan.ya if last.keputusan.ya.ke == nxt.no else last.keputusan.tidak
                parts.append(_label(cx + 5, cy + hh + 11, branch.label))
    return parts


def _svg(lay: _Layout, parts: list[str], height: float, index: int, total: int) -> str:
    """One page's drawing as an SVG document, with its arrowhead marker, its style and its caption."""
    marker = (f'<defs><marker id="sop-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
              f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{STROKE}"/></marker></defs>')
    style = ("<style>.sop-flow .grid{fill:none;stroke:#9ca3af;stroke-width:0.8}"
             f".sop-flow .frame{{fill:none;stroke:{STROKE};stroke-width:1.2}} .sop-flow .head{{fill:#eef2f7}}"
             f".sop-flow .sym{{fill:#fff;stroke:{ACCENT};stroke-width:1.6}}"
             f".sop-flow .offpage polygon{{fill:#fff;stroke:{ACCENT};stroke-width:1.4}}"
             f".sop-flow .flow{{fill:none;stroke:{STROKE};stroke-width:1.2}}"
             f".sop-flow text{{font-family:{FONT};fill:#111827;stroke:none}} .sop-flow .branch{{fill:#374151}}</style>")
    caption = f"Halaman {index + 1} dari {total}" if total > 1 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sop-flow" viewBox="-1 -1 {lay.width + 2} {height + 2}" '
            f'width="100%" preserveAspectRatio="xMidYMin meet" role="img" '
            f'aria-label="Bagan alir {escape(lay.sop.nama)} {escape(caption)}">{marker}{style}'
            + "".join(parts) + "</svg>")


def _flow_down(lay: _Layout, s: Langkah, nxt: Langkah, center: dict, row_top: dict) -> str:
    """Arrow from a step to the next one: down, across at the row boundary, down into the next symbol."""
    sop = lay.sop
    x0, y0 = center[s.no]
    x1, y1 = center[nxt.no]
    _, h0 = _half(_kind(sop, s))
    _, h1 = _half(_kind(sop, nxt))
    boundary = row_top[nxt.no]
    pts = [(x0, y0 + h0)]
    if abs(x0 - x1) > 0.5:
        pts += [(x0, boundary), (x1, boundary)]
    pts.append((x1, y1 - h1))
    out = _arrow(pts)
    if s.keputusan:
        branch = s.keputusan.ya if s.keputusan.ya.ke == nxt.no else s.keputusan.tidak
        out += _label(x0 + 5, y0 + h0 + 11, branch.label)
    return out


def _branch(lay: _Layout, s: Langkah, branch, name: str, center: dict, row_top: dict, page_of: dict,
            jumps: dict) -> str:
    """A decision branch that leaves sideways: back for rework, to a later step, or to the end."""
    sop = lay.sop
    x0, y0 = center[s.no]
    hw = DIAMOND_W / 2
    idx = lay.actor_index(s)
    n_actors = len(sop.pelaksana)
    if branch.ke == END:
        # A small terminator "Selesai" in the neighbouring actor column.
        side = 1 if idx < n_actors - 1 else -1
        tx = x0 + side * COL_ACTOR
        start = (x0 + side * hw, y0)
        end = (tx - side * SHAPE_W / 2, y0)
        return (_arrow([start, end]) + _shape("terminator", tx, y0, "Selesai")
                + _text(tx, y0 + 4, ["Selesai"], anchor="middle", size=9)
                + _label(tx, y0 - SHAPE_H / 2 - 4, branch.label, anchor="middle"))
    target = sop.langkah[branch.ke - 1]
    if (s.no, name) in jumps:
        side = 1 if idx < n_actors - 1 else -1
        cx = x0 + side * (COL_ACTOR * 0.72)
        start = (x0 + side * hw, y0)
        return (_arrow([start, (cx, y0), (cx, y0 + 10)]) + _connector(cx, y0 + 11, jumps[(s.no, name)])
                + _label(cx, y0 - 5, f"{branch.label} → langkah {target.no}", anchor="middle"))
    tcol = lay.actor_col(target)
    tx, ty = center[target.no]
    thw, _ = _half(_kind(sop, target))
    tidx = lay.actor_index(target)
    if tidx < idx:  # target to the left: run along the far (left) edge of its column, enter from the left
        lane = tcol.x + 7
        start, entry = (x0 - hw, y0), (tx - thw, ty)
    else:  # target to the right or in the same column: along the right edge, enter from the right
        lane = tcol.x + tcol.w - 7
        start, entry = (x0 + hw, y0), (tx + thw, ty)
    pts = [start, (lane, y0), (lane, ty), entry]
    if abs(start[0] - lane) < 60:  # short run: the label stands beside the vertical lane
        return _arrow(pts) + _label(lane + (4 if lane > start[0] else -4), (y0 + ty) / 2, branch.label,
                                    anchor="start" if lane > start[0] else "end")
    return _arrow(pts) + _label((start[0] + lane) / 2, y0 - 5, branch.label, anchor="middle")
