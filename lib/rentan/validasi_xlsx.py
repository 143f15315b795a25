"""The village validation workbooks (SOP pekerja-rentan, seed 000), written with openpyxl.

* :func:`template_workbook` — the XLSX a village receives: a "Petunjuk" sheet, then "Validasi" with the
  candidates pre-filled, the NIK column formatted as text, a dropdown on Status and a locked header row.
* :func:`error_report` — the village's own rows (:func:`lib.rentan.upload.read_upload`), at their own row
  numbers, with an "Alasan" column and the bad cells coloured (:func:`lib.rentan.validasi.validate`), plus a
  "Ringkasan" sheet.

Text cells starting with = + - @ are neutralised on export (:func:`lib.base.sheets.safe_cell`). Both are
re-exported by :mod:`lib.rentan.validasi`.
"""
from __future__ import annotations

import datetime as dt
from copy import copy
from functools import lru_cache
from types import SimpleNamespace

from lib.rentan.upload import HEADERS, STATUS_LABELS, Upload, column_letter, is_blank

# openpyxl, lib.base.fmt (Babel, pandas) and lib.base.sheets are loaded only when a workbook is written (_xl()):
# checking a file from the command line then starts in about 0.1 s instead of 1.5 s.


@lru_cache(maxsize=1)
def _xl() -> SimpleNamespace:
    """What writing a workbook needs, imported on first use: openpyxl, lib.fmt, lib.base.sheets.safe_cell and the
    shared style objects. Reading and checking a file need none of it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    from lib.base import fmt
    from lib.base.sheets import safe_cell, to_bytes

    thin = Side(style="thin", color="9CA3AF")
    return SimpleNamespace(
        Workbook=Workbook, WriteOnlyCell=WriteOnlyCell, Cell=Cell, Alignment=Alignment, Font=Font,
        Protection=Protection, DataValidation=DataValidation, fmt=fmt, safe_cell=safe_cell, to_bytes=to_bytes,
        illegal=ILLEGAL_CHARACTERS_RE,
        head_fill=PatternFill("solid", fgColor="DCE6F1"), red=PatternFill("solid", fgColor="F8B4B4"),
        yellow=PatternFill("solid", fgColor="FDE68A"), box=Border(left=thin, right=thin, top=thin, bottom=thin),
        wrap=Alignment(wrap_text=True, vertical="top"),
        centre=Alignment(wrap_text=True, vertical="center", horizontal="center"))


_DATE_FORMAT = "DD-MM-YYYY"
_TEMPLATE_HEADER_ROW = 5
_TEMPLATE_SPARE_ROWS = 100
_WIDTHS = {"No": 6, "NIK": 21, "Nama Lengkap": 30, "Tanggal Lahir": 14, "Jenis Kelamin": 9, "Alamat": 36,
           "Status": 22, "Keterangan": 34}


def _status_dropdown(ws, ref: str) -> None:
    dv = _xl().DataValidation(type="list", formula1='"' + ",".join(STATUS_LABELS.values()) + '"', allow_blank=True,
                              showErrorMessage=True, showInputMessage=True)
    dv.errorTitle, dv.error = "Status tidak dikenal", "Pilih status dari daftar: " + ", ".join(STATUS_LABELS.values())
    dv.promptTitle, dv.prompt = "Status validasi", "Pilih dari daftar"
    ws.data_validations.append(dv)  # what ws.add_data_validation does; a write-only sheet lacks that method
    dv.add(ref)


def _nik_text(value) -> str | None:
    """A NIK cell as text, so Excel cannot round it: a number cell becomes its digits."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return f"{value:.0f}"
    return str(value)


def _style(ws, **attrs):
    """A style to give many cells at once (``cell._style = copy(...)``): openpyxl's per-attribute style
    setters hash every style object, which dominates writing thousands of cells."""
    proto = _xl().Cell(ws)
    for name, value in attrs.items():
        setattr(proto, name, value)
    return proto._style


def template_workbook(desa_label: str, rows: list[dict], today: dt.date | None = None) -> bytes:
    """The validation spreadsheet for one desa. ``rows`` are the candidates, dicts with ``nik`` and ``nama``
    (or ``nama_lengkap``) and optionally ``tanggal_lahir`` (date or text), ``jenis_kelamin`` (L/P),
    ``alamat``, ``status`` (code or label) and ``keterangan``."""
    x = _xl()
    today = today or dt.date.today()
    wb = x.Workbook()
    guide = wb.active
    guide.title = "Petunjuk"
    ws = wb.create_sheet("Validasi")
    _guide_sheet(guide, desa_label, today)

    ws["A1"] = "DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN (PEKERJA RENTAN)"
    ws["A1"].font = x.Font(bold=True, size=12)
    ws["A2"] = _cell_value(f"Desa/Kelurahan: {desa_label}")
    ws["A3"] = f"Tanggal: {x.fmt.tanggal(today)}"
    ws["A2"].font = ws["A3"].font = x.Font(bold=True)
    h = _TEMPLATE_HEADER_ROW
    for j, heading in enumerate(HEADERS, start=1):
        c = ws.cell(row=h, column=j, value=heading)
        c.font, c.fill, c.border, c.alignment = x.Font(bold=True), x.head_fill, x.box, x.centre
        ws.column_dimensions[column_letter(j)].width = _WIDTHS[heading]
    last = h + len(rows) + _TEMPLATE_SPARE_ROWS
    unlocked = x.Protection(locked=False)
    plain = _style(ws, protection=unlocked, border=x.box)
    styles = {2: _style(ws, protection=unlocked, border=x.box, number_format="@"),
              4: _style(ws, protection=unlocked, border=x.box, number_format=_DATE_FORMAT)}
    for i in range(h + 1, last + 1):
        for j in range(1, len(HEADERS) + 1):
            ws.cell(row=i, column=j)._style = copy(styles.get(j, plain))
    for n, r in enumerate(rows, start=1):
        status = r.get("status")
        values = [n, _nik_text(r.get("nik")), r.get("nama", r.get("nama_lengkap")), r.get("tanggal_lahir"),
                  r.get("jenis_kelamin"), r.get("alamat"), STATUS_LABELS.get(status, status), r.get("keterangan")]
        for j, v in enumerate(values, start=1):
            ws.cell(row=h + n, column=j).value = _cell_value(v)
    _status_dropdown(ws, f"G{h + 1}:G{last}")
    sex = x.DataValidation(type="list", formula1='"L,P"', allow_blank=True, showErrorMessage=True)
    sex.errorTitle, sex.error = "Jenis kelamin", "Tulis L (laki-laki) atau P (perempuan)."
    ws.add_data_validation(sex)
    sex.add(f"E{h + 1}:E{last}")
    ws.freeze_panes = ws.cell(row=h + 1, column=1)
    # Headers and title are locked; the data cells were unlocked above. No password: protection guards against
    # accidents, the portal reads loosely anyway.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    return x.to_bytes(wb)


def _guide_sheet(ws, desa_label: str, today: dt.date) -> None:
    h = _TEMPLATE_HEADER_ROW
    lines: list[tuple[str, ...] | str] = [
        "PETUNJUK PENGISIAN DAFTAR VALIDASI CALON PENERIMA BANTUAN IURAN BPJS KETENAGAKERJAAN",
        f"Desa/Kelurahan: {desa_label} — dibuat {_xl().fmt.tanggal(today)}",
        "",
        "Langkah",
        (f"1. Buka lembar “Validasi”. Satu baris untuk satu orang. Baris judul kolom (baris {h}) dikunci: jangan "
         "mengubah, memindah, atau menghapus judul kolom."),
        ("2. Periksa setiap orang di daftar, lalu pilih Status dari pilihan di kolom Status (klik sel, lalu tanda "
         "panah di sampingnya)."),
        ("3. NIK harus 16 angka dan ditulis sebagai TEKS. Kolom NIK sudah berformat Teks; jangan diubah ke format "
         "Angka (Number). Excel hanya menyimpan 15 angka untuk sebuah angka, sehingga angka terakhir NIK bisa "
         "berubah menjadi 0 atau tampil seperti 3,20101E+15."),
        ("4. Jika NIK ditempel dari berkas lain, gunakan Tempel Khusus › Nilai (Paste Special › Values), atau ketik "
         "tanda petik ' di depan NIK."),
        "5. Baris yang seluruhnya kosong diabaikan.",
        ("6. Simpan sebagai Excel (.xlsx) dan kirim kembali melalui halaman unggah validasi di portal, bukan lewat "
         "pesan atau surel. Portal langsung memeriksa setiap baris; jika ada yang salah, unduh laporan "
         "kesalahannya, perbaiki sel yang berwarna merah, lalu unggah lagi."),
        "",
        ("Kolom", "Artinya", "Contoh"),
        ("No", "Nomor urut", "1"),
        ("NIK", "16 angka sesuai KTP atau Kartu Keluarga, ditulis sebagai teks", "3201014101900003"),
        ("Nama Lengkap", "Nama sesuai KTP", "SITI AMINAH"),
        ("Tanggal Lahir", "Tanggal-bulan-tahun", "01-01-1990"),
        ("Jenis Kelamin", "L untuk laki-laki, P untuk perempuan", "P"),
        ("Alamat", "Alamat tempat tinggal (dusun, RT/RW)", "Dusun Krajan RT 001 RW 002"),
        ("Status", "Hasil pemeriksaan desa; pilih dari daftar (lihat di bawah)", "Valid"),
        ("Keterangan", "Catatan tambahan, misalnya alasan tidak layak, tanggal meninggal, atau tujuan pindah",
         "Pindah ke Desa Sukamaju sejak Maret"),
        "",
        ("Pilihan Status", "Artinya", ""),
        ("Valid", "Benar warga desa ini, masih hidup, dan memenuhi syarat pekerja rentan (boleh ditulis Layak)", ""),
        ("Tidak Valid", "Tidak memenuhi syarat; tulis alasannya di Keterangan (boleh ditulis Tidak Layak)", ""),
        ("Meninggal", "Sudah meninggal dunia; tulis tanggalnya di Keterangan bila diketahui", ""),
        ("Pindah", "Sudah pindah tempat tinggal; tulis tujuannya di Keterangan bila diketahui", ""),
        ("Sudah Terdaftar BPJS", "Sudah menjadi peserta BPJS Ketenagakerjaan dari program atau pemberi kerja lain",
         ""),
    ]
    x = _xl()
    for i, line in enumerate(lines, start=1):
        if isinstance(line, str):
            c = ws.cell(row=i, column=1, value=_cell_value(line))
            if i in (1, 4):
                c.font = x.Font(bold=True, size=12 if i == 1 else 11)
            continue
        for j, v in enumerate(line, start=1):
            c = ws.cell(row=i, column=j, value=v)
            c.alignment, c.border = x.wrap, x.box
            if line[0] in ("Kolom", "Pilihan Status"):
                c.font, c.fill = x.Font(bold=True), x.head_fill
        ws.cell(row=i, column=3).number_format = "@"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 34


def _cell_value(value):
    """A value as written to a cell: text neutralised (= + - @) and stripped of the control characters
    openpyxl refuses."""
    if value.__class__ is str:
        x = _xl()
        return x.safe_cell(x.illegal.sub("", value))
    return value


def error_report(upload: Upload, validation) -> bytes:
    """The village's file back, ready to fix: every row at its own Excel row number with the same columns,
    an "Alasan" column, cells with an error red and with a warning yellow, the NIK column as text; a
    "Ringkasan" sheet with the counts and how to fix the file. ``validation`` is the
    :class:`lib.rentan.validasi.Validation` of ``upload``.

    openpyxl's write-only workbook writes everything but the data rows (columns, header, dropdown, styles, the
    summary sheet); the data rows, up to 100,000 of them, are written as the sheet's XML directly
    (:func:`_rows_xml`) and put into the sheet: openpyxl spends several objects and calls on every cell, which
    made the report slower to write than the file it reports on takes to read and check."""
    x = _xl()
    wb = x.Workbook(write_only=True)
    ws = wb.create_sheet((upload.sheet or "Data")[:31])
    width = max([len(upload.headings)] + [len(r.cells) for r in (*upload.rows, *upload.ignored)])
    data_rows = sorted((*upload.rows, *upload.ignored), key=lambda r: r.excel_row)
    last = data_rows[-1].excel_row if data_rows else upload.header_row
    # Everything about the sheet but its cells goes first: a write-only sheet streams its rows.
    _report_columns(ws, upload, width, last)
    cell, put = _cell_factory(ws), _row_writer(ws)
    _report_head(put, cell, upload, width)
    rows = _rows_xml(upload, validation, data_rows, width, _style_ids(wb, ws))
    _summary_sheet(wb.create_sheet("Ringkasan"), upload, validation)
    return _with_rows(x.to_bytes(wb), "xl/worksheets/sheet1.xml", rows, f"A1:{column_letter(width + 1)}{last}")
def _report_columns(ws, upload: Upload, width: int, last: int) -> None:
    """The report sheet's column widths (the reason column after the ``width`` data columns), the NIK column as
    text, the frozen header, and the Status dropdown down to the ``last`` row."""
    h = upload.header_row
    nik_j = upload.columns["nik"].index + 1
    status_j = upload.columns["status"].index + 1
    for j in range(1, width + 1):
        heading = upload.headings[j - 1] if j <= len(upload.headings) else ""
        ws.column_dimensions[column_letter(j)].width = 21 if j == nik_j else max(8, min(36, len(heading) + 6))
    ws.column_dimensions[column_letter(width + 1)].width = 70
    ws.column_dimensions[column_letter(nik_j)].number_format = "@"  # a NIK typed in a new row stays text too
    ws.freeze_panes = f"A{h + 1 + len(upload.below_header)}"
    _status_dropdown(ws, f"{column_letter(status_j)}{h + 1}:{column_letter(status_j)}{max(last, h + 1)}")


def _cell_factory(ws):
    """``cell(value, kind="plain", level=None)``: a write-only cell of ``ws`` holding ``value`` as
    :func:`_cell_value` writes it, with the style object shared by every cell of its kind and level."""
    x = _xl()
    styles: dict[tuple[str, str | None], object] = {}

    def cell(value, kind: str = "plain", level: str | None = None):
        """A cell with the shared style of its kind (nik, date, reason, head, plain) and level."""
        if (kind, level) not in styles:
            attrs = {"number_format": {"nik": "@", "date": _DATE_FORMAT}.get(kind, "General")}
            if kind == "reason":
                attrs["alignment"] = x.wrap
            if kind == "head":
                attrs.update(font=x.Font(bold=True), fill=x.head_fill, border=x.box, alignment=x.centre)
            if level:
                attrs["fill"] = x.red if level == "error" else x.yellow
            styles[kind, level] = _style(ws, **attrs)
        c = x.WriteOnlyCell(ws, _cell_value(value))
        c._style = copy(styles[kind, level])
        return c

    return cell


def _row_writer(ws):
    """``put(excel_row, values)``: ``values`` appended to the write-only ``ws`` as its row ``excel_row``."""
    row_no = 0

    def put(excel_row: int, values: list) -> None:
        nonlocal row_no
        while row_no < excel_row - 1:  # the village's blank rows stay blank
            row_no += 1
            ws.append([])
        ws.append(values)
        row_no = excel_row

    return put


def _report_head(put, cell, upload: Upload, width: int) -> None:
    """The rows above the first data row: the letterhead, the header with the reason column's heading, and the
    rows that belong to the header."""
    for excel_row, cells in upload.above_header:
        put(excel_row, [None if is_blank(v) else cell(v, "date") if isinstance(v, (dt.date, dt.datetime)) else
                        _cell_value(v) for v in cells])
    alasan = "Alasan" if "alasan" not in {t.lower() for t in upload.headings} else "Alasan pemeriksaan"
    put(upload.header_row, [cell(heading or None, "head") for heading in
                            [*upload.headings, *[""] * (width - len(upload.headings)), alasan]])
    for excel_row, cells in upload.below_header:
        put(excel_row, [cell(v, "head") for v in cells])


def _style_ids(wb, ws):
    """``sid(kind, level=None)``: the number of the workbook's cell format (``s=""`` in the sheet's XML) of the
    shared style :func:`_cell_factory` gives a cell of that kind and level."""
    cell = _cell_factory(ws)
    ids: dict[tuple[str, str | None], int] = {}

    def sid(kind: str, level: str | None = None) -> int:
        if (kind, level) not in ids:
            ids[kind, level] = wb._cell_styles.add(cell(None, kind, level)._style)
        return ids[kind, level]

    return sid


def _xml_text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<is><t xml:space="preserve">{text}</t></is>' if text != text.strip() else f"<is><t>{text}</t></is>"


def _xml_cell(ref: str, value, style: int | None, to_excel) -> str:
    """One ``<c>`` element: text inline, numbers and booleans as values, a date as its serial number."""
    s = "" if style is None else f' s="{style}"'
    if value.__class__ is str:
        return f'<c r="{ref}"{s} t="inlineStr">{_xml_text(value)}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>' if value == value and abs(value) != float("inf") \
            else f'<c r="{ref}"{s} t="inlineStr">{_xml_text(str(value))}</c>'
    if isinstance(value, (dt.date, dt.datetime)):
        return f'<c r="{ref}"{s}><v>{to_excel(value)}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr">{_xml_text(str(value))}</c>'


def _rows_xml(upload: Upload, validation, data_rows: list, width: int, sid) -> list[str]:
    """The data rows (and the rows set aside) as ``<row>`` elements, with their problems: a cell with an error red,
    with a warning yellow, the NIK as text, the reasons in column ``width + 1``. Every text goes through
    :func:`lib.base.sheets.safe_cell` and loses the control characters a spreadsheet refuses."""
    from openpyxl.utils.datetime import to_excel

    x = _xl()
    nik_i = upload.columns["nik"].index
    letters = [column_letter(j + 1) for j in range(width + 1)]
    safe, illegal = x.safe_cell, x.illegal
    by_row = {r.excel_row: r for r in validation.rows}
    date_types = (dt.date, dt.datetime)
    plain_date = sid("date")
    out = []
    for row in data_rows:
        n = row.excel_row
        result = by_row.get(n)
        problems = result.problems if result else ()
        worst: dict[int, str] = {}
        for p in problems:
            j = upload.columns[p.field].index
            worst[j] = "error" if p.level == "error" else worst.get(j, "warning")
        parts = [f'<row r="{n}">']
        for j, v in enumerate(row.cells[:width]):
            level = worst.get(j) if worst else None
            if j == nik_i:
                v, style = _nik_text(v), sid("nik", level)
            elif level:
                style = sid("date" if isinstance(v, date_types) else "plain", level)
            elif v is None:
                continue
            else:
                style = plain_date if isinstance(v, date_types) else None
            if v is None:
                if style is not None:
                    parts.append(f'<c r="{letters[j]}{n}" s="{style}"/>')
                continue
            if v.__class__ is str:
                v = safe(illegal.sub("", v))
            parts.append(_xml_cell(f"{letters[j]}{n}", v, style, to_excel))
        if problems:
            reasons = "\n".join(f"Kolom {p.column} ({p.heading}): {p.reason}" for p in problems)
            level = "error" if result.state == "invalid" else "warning"
            parts.append(_xml_cell(f"{letters[width]}{n}", safe(illegal.sub("", reasons)), sid("reason", level),
                                   to_excel))
        parts.append("</row>")
        out.append("".join(parts))
    return out


def _with_rows(data: bytes, sheet: str, rows: list[str], dimension: str) -> bytes:
    """The XLSX ``data`` with ``rows`` appended to the rows of its worksheet ``sheet`` and that sheet's
    dimension set; every other part copied as it is."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == sheet:
                text = content.decode("utf-8")
                text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', text, count=1)
                if "</sheetData>" in text:
                    head, tail = text.split("</sheetData>", 1)
                    text = head + "".join(rows) + "</sheetData>" + tail
                else:
                    text = text.replace("<sheetData/>", "<sheetData>" + "".join(rows) + "</sheetData>", 1)
                content = text.encode("utf-8")
            dst.writestr(info.filename, content)
    return out.getvalue()


def _summary_sheet(ws, upload: Upload, validation) -> None:
    """The "Ringkasan" sheet of the error report (a write-only sheet: widths first, then the rows in order)."""
    x = _xl()
    s = validation.summary
    lines = [
        ("Hasil pemeriksaan berkas validasi", None),
        ("Berkas", upload.filename),
        ("Diperiksa", x.fmt.waktu(dt.datetime.now(dt.UTC))),
        (None, None),
        ("Jumlah baris data", s.rows),
        ("Dapat diterima", s.valid),
        ("   di antaranya dengan catatan (kuning)", s.valid_with_warning),
        ("Harus diperbaiki (merah)", s.invalid),
        ("Per status (baris yang dapat diterima)", None),
        *[(f"   {label}", s.per_status[code]) for code, label in STATUS_LABELS.items()],
        ("Baris tanpa NIK, nama, dan status (diabaikan)", s.ignored),
        *([("   yaitu baris", ", ".join(str(r.excel_row) for r in upload.ignored[:20])
            + (", …" if len(upload.ignored) > 20 else ""))] if upload.ignored else []),
        (None, None),
        ("Cara memperbaiki", ("Perbaiki sel berwarna merah di lembar pertama; alasannya ada di kolom Alasan. Sel "
                              "kuning hanya catatan: baris itu tetap diterima. Tulis NIK sebagai teks (16 angka). "
                              "Simpan, lalu unggah lagi berkas ini melalui portal.")),
        (None, None),
    ]
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 80
    top_left = x.Alignment(wrap_text=True, vertical="top", horizontal="left")
    for i, (a, b) in enumerate(lines, start=1):
        row = [None, None]
        if a is not None:
            row[0] = x.WriteOnlyCell(ws, a)
            row[0].font = x.Font(bold=i == 1, size=12 if i == 1 else 11)
        if b is not None:
            row[1] = x.WriteOnlyCell(ws, _cell_value(b))
            row[1].alignment = top_left
        ws.append(row)
