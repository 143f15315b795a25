"""The intake form of an SOP, checked in lib: every field of ``formulir`` by its type and rules, and the
kelengkapan checklist. Messages are Indonesian and name the field; nothing is saved by this module."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lib.base import iuran
from lib.casework import nik as nik_rules
from lib.catalogue.model import SOP, Isian

#: Largest attachment accepted on a form.
MAX_FILE_MB = 5


@dataclass
class FormResult:
    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    #: Labels of the required documents the applicant did not bring.
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def complete(self) -> bool:
        """Valid and nothing missing from the kelengkapan checklist."""
        return self.ok and not self.missing


def parse_money(value) -> int:
    """``"Rp1.234.567"``, ``"1.234.567"``, ``1234567`` → 1234567."""
    if isinstance(value, (int, float)):
        if value != int(value):
            raise ValueError("tanpa sen")
        return int(value)
    text = re.sub(r"^\s*rp\.?\s*", "", str(value).strip(), flags=re.I).replace(".", "").replace(" ", "")
    if not re.fullmatch(r"\d+", text):
        raise ValueError("bukan angka rupiah")
    return int(text)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _check(f: Isian, value, result: FormResult) -> None:
    if f.jenis == "checkbox":
        if f.wajib and value is not True:
            result.errors[f.nama] = f"{f.label} harus dicentang."
        result.values[f.nama] = bool(value)
        return
    if _empty(value):
        if f.wajib:
            result.errors[f.nama] = f"{f.label} wajib diisi."
        result.values[f.nama] = None
        return
    rule = f.aturan
    if f.jenis == "text":
        text = str(value).strip()
        if rule and rule.pola and not re.fullmatch(rule.pola, text):
            result.errors[f.nama] = rule.pesan or f"{f.label} tidak sesuai format."
        result.values[f.nama] = text
    elif f.jenis == "nik":
        checked = nik_rules.check(value)
        if not checked.ok:
            result.errors[f.nama] = checked.errors[0][1]
        elif checked.warnings:
            result.warnings[f.nama] = checked.warnings[0][1]
        result.values[f.nama] = checked.nik
    elif f.jenis == "date":
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            result.errors[f.nama] = f"{f.label} harus tanggal (misalnya 2026-01-23)."
            return
        result.values[f.nama] = day.isoformat()
    elif f.jenis in ("number", "money"):
        try:
            number = parse_money(value) if f.jenis == "money" else float(str(value).replace(",", "."))
        except ValueError:
            result.errors[f.nama] = f"{f.label} harus angka" + (" rupiah, misalnya 1.500.000." if f.jenis == "money"
                                                                 else ".")
            return
        if rule and rule.min is not None and number < rule.min:
            result.errors[f.nama] = f"{f.label} minimal {rule.min:,.0f}".replace(",", ".") + "."
        elif rule and rule.max is not None and number > rule.max:
            result.errors[f.nama] = f"{f.label} maksimal {rule.max:,.0f}".replace(",", ".") + "."
        result.values[f.nama] = number
    elif f.jenis == "select":
        if value not in f.pilihan:
            result.errors[f.nama] = f"{f.label}: pilih salah satu dari {', '.join(f.pilihan)}."
        result.values[f.nama] = value
    elif f.jenis == "file":
        name, size = value
        ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        allowed = [e.lower() for e in (rule.berkas if rule else [])]
        if allowed and ending not in allowed:
            result.errors[f.nama] = f"{f.label}: berkas harus {', '.join(allowed)} (bukan “{name}”)."
        elif size > MAX_FILE_MB * 1024 * 1024:
            result.errors[f.nama] = f"{f.label}: berkas lebih dari {MAX_FILE_MB} MB."
        result.values[f.nama] = name


def validate(sop: SOP, values: dict, documents: dict[str, bool] | None = None) -> FormResult:
    """Check a filled intake form and the documents ticked on the kelengkapan checklist."""
    result = FormResult()
    for f in sop.formulir:
        _check(f, values.get(f.nama), result)
    documents = documents or {}
    for d in sop.kelengkapan:
        needed = not d.opsional
        if d.wajib_jika is not None:
            basis = result.values.get(d.wajib_jika.isian)
            needed = isinstance(basis, (int, float)) and basis > d.wajib_jika.lebih_dari
            needed = needed or bool(d.wajib_jika.atau_isian and result.values.get(d.wajib_jika.atau_isian))
        if needed and not documents.get(d.kode):
            result.missing.append(d.label)
    for f in sop.formulir:
        if f.aturan and f.aturan.iuran_bpu and f.nama not in result.errors and result.values.get(f.nama) is not None:
            try:
                iuran.hitung_bpu(result.values[f.nama], bool(result.values.get(f.aturan.iuran_bpu)))
            except iuran.IuranError as err:
                result.errors[f.nama] = str(err)
    return result


def iuran_bpu_of(sop: SOP, values: dict) -> iuran.IuranBpu | None:
    """The monthly BPU contribution of a filled form whose income field carries ``aturan.iuran_bpu`` (None when
    the form has no such field or the income is missing or outside the rules)."""
    for f in sop.formulir:
        if f.aturan and f.aturan.iuran_bpu and values.get(f.nama) is not None:
            try:
                return iuran.hitung_bpu(values[f.nama], bool(values.get(f.aturan.iuran_bpu)))
            except iuran.IuranError:
                return None
    return None
