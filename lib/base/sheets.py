"""Spreadsheet exports (openpyxl). Cells that start with = + - @ are neutralised so a spreadsheet never
runs text from the database as a formula."""
from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

#: The MIME type of every XLSX the portal hands out (downloads of reports, registers, templates).
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_HEAD = PatternFill("solid", fgColor="DCE6F1")
_THIN = Side(style="thin", color="9CA3AF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def safe_cell(value):
    """Text that a spreadsheet would read as a formula gets a leading apostrophe-like quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_bytes(wb) -> bytes:
    """The one way a workbook leaves the portal: every text cell of every sheet, whatever its column, through
    :func:`safe_cell`, then the XLSX bytes. A write-only workbook cannot be read back: its writer passes each
    cell through :func:`safe_cell` as it writes (the village error report does)."""
    if not getattr(wb, "write_only", False):
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str):  # text, or text openpyxl took for a formula
                        c.value = safe_cell(c.value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_table(ws, header: list[str], rows: list[list], widths: list[int], start_row: int = 1) -> None:
    """A bordered table on ``ws`` from ``start_row``: a bold header, every cell through :func:`safe_cell`,
    column widths in characters, panes frozen under the header."""
    for j, h in enumerate(header, start=1):
        c = ws.cell(row=start_row, column=j, value=h)
        c.font, c.fill, c.border = Font(bold=True), _HEAD, _BOX
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for i, row in enumerate(rows, start=start_row + 1):
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=safe_cell(v))
            c.alignment, c.border = Alignment(wrap_text=True, vertical="top"), _BOX
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)


def frame_workbook(sheets: dict[str, pd.DataFrame], title: str | None = None) -> bytes:
    """One sheet per frame (sheet name → frame), headers as given, times without zone (already WIB)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name[:31])
        start = 1
        if title:
            ws.cell(row=1, column=1, value=safe_cell(title)).font = Font(bold=True, size=12)
            start = 3
        rows = []
        for rec in frame.itertuples(index=False):
            rows.append([None if (not isinstance(v, str) and pd.isna(v)) else
                         v.tz_localize(None) if isinstance(v, pd.Timestamp) and v.tzinfo else v for v in rec])
        widths = [max(10, min(45, len(str(c)) + 4)) for c in frame.columns]
        write_table(ws, [str(c) for c in frame.columns], rows, widths, start_row=start)
    return to_bytes(wb)


def records_workbook(sheets: list[tuple[str, str, str | None, list[str], list[dict]]],
                     text_columns: tuple[str, ...] = ("NIK",), money_columns: tuple[str, ...] = ()) -> bytes:
    """Sheets of records: (sheet name, title, note or None, headers, rows as dicts). ``text_columns`` are
    stored as text (a NIK never becomes a number); ``money_columns`` get a thousands format."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, title, note, headers, records in sheets:
        ws = wb.create_sheet(name[:31])
        ws.cell(row=1, column=1, value=safe_cell(title)).font = Font(bold=True, size=12)
        if note:
            ws.cell(row=2, column=1, value=safe_cell(note)).alignment = Alignment(wrap_text=False)
        write_table(ws, headers, [[r.get(h) for h in headers] for r in records],
                    [max(8, min(40, max([len(str(h)) + 2] + [len(str(r.get(h) or "")) + 2 for r in records[:200]])))
                for h in headers], start_row=4)
        for j, h in enumerate(headers, start=1):
            fmt_code = "@" if h in text_columns else "#,##0" if h in money_columns else None
            if fmt_code is None:
                continue
            for i in range(5, 5 + len(records)):
                ws.cell(row=i, column=j).number_format = fmt_code
        for j, h in enumerate(headers, start=1):
            if any(isinstance(r.get(h), dt.date) for r in records[:5]):
                for i in range(5, 5 + len(records)):
                    ws.cell(row=i, column=j).number_format = "DD/MM/YYYY"
    return to_bytes(wb)
