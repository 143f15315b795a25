"""An SOP as the editor's tables and back: identity fields, one-per-line lists, and one row per actor,
step, form field and required document. Pure data; :func:`lib.catalogue.revisions.check` judges the result,
and :func:`waktu_checks` reads every step's waktu with the mutu baku parser as the user types."""
from __future__ import annotations

import datetime as dt

from lib.base import mutu_baku
from lib.catalogue import model as catalog

IDENTITY = ["id", "nama", "nama_singkat", "nomor", "kode_register", "bidang", "layanan", "kanal", "pemerintah",
            "instansi", "unit", "program"]
#: Indonesian labels of the identity fields in the editor.
LABELS = {"id": "ID (alamat halaman, huruf kecil-tanda-hubung)", "nama": "Nama SOP",
          "nama_singkat": "Nama singkat (menu)", "nomor": "Nomor SOP", "kode_register": "Kode register (mis. AK1)",
          "bidang": "Bidang (kode, mis. tenaga-kerja)", "layanan": "Layanan (sama untuk semua kanalnya)",
          "kanal": "Kanal layanan (mis. Loket)",
          "pemerintah": "Pemerintah", "instansi": "Instansi", "unit": "Unit",
          "program": "Program jaminan sosial (mis. BPJS Ketenagakerjaan; kosong untuk layanan dinas sendiri)",
          "tanggal_pembuatan": "Tanggal pembuatan",
          "tanggal_revisi": "Tanggal revisi", "tanggal_efektif": "Tanggal efektif"}
DATES = ["tanggal_pembuatan", "tanggal_revisi", "tanggal_efektif"]
PENGESAH = ["jabatan", "nama", "pangkat", "nip"]
LISTS = ["dasar_hukum", "kualifikasi_pelaksana", "keterkaitan", "peralatan", "peringatan", "pencatatan",
         "catatan_transkripsi", "sumber"]
PELAKSANA = ["kode", "label", "peran", "eksternal"]
LANGKAH = ["kegiatan", "pelaksana", "kelengkapan", "waktu", "output", "keterangan", "pertanyaan", "ya_label",
           "ya_ke", "tidak_label", "tidak_ke"]
FORMULIR = ["nama", "label", "jenis", "wajib", "pilihan", "bantuan", "pola", "pesan", "min", "max"]
KELENGKAPAN = ["kode", "label", "syarat", "opsional", "wajib_jika_isian", "wajib_jika_lebih_dari",
               "wajib_jika_atau_isian"]
#: Column headers of the editor's tables (pelaksana, langkah, formulir, kelengkapan), by field name.
COLUMN_LABELS = {"kode": "Kode", "label": "Label", "peran": "Peran portal", "eksternal": "Pihak luar",
                 "kegiatan": "Kegiatan", "pelaksana": "Pelaksana", "kelengkapan": "Kelengkapan", "waktu": "Waktu",
                 "output": "Output", "keterangan": "Keterangan", "pertanyaan": "Pertanyaan (keputusan)",
                 "ya_label": "Label ya", "ya_ke": "Ya → langkah", "tidak_label": "Label tidak",
                 "tidak_ke": "Tidak → langkah", "nama": "Nama isian", "jenis": "Jenis", "wajib": "Wajib",
                 "pilihan": "Pilihan", "bantuan": "Bantuan", "pola": "Pola", "pesan": "Pesan", "min": "Minimum",
                 "max": "Maksimum", "syarat": "Syarat", "opsional": "Opsional", "wajib_jika_isian": "Wajib jika isian",
                 "wajib_jika_lebih_dari": "Wajib jika lebih dari",
                 "wajib_jika_atau_isian": "Wajib juga bila dicentang", "program": "Program"}


def blank(sop_id: str = "sop-baru") -> dict:
    """A minimal valid SOP to start from."""
    return {"id": sop_id, "jenis": "sop", "nama": "SOP baru",
            "pelaksana": [{"kode": "petugas", "label": "Petugas", "peran": ["staf"]}],
            "langkah": [{"no": 1, "kegiatan": "Menerima permohonan", "pelaksana": "petugas", "waktu": "5 Menit"}]}


def to_tables(data: dict) -> dict:
    """The editor's tables from a revision's content."""
    ttd = data.get("disahkan_oleh") or {}
    steps = []
    for s in data.get("langkah", []):
        k = s.get("keputusan") or {}
        steps.append({"kegiatan": s.get("kegiatan", ""), "pelaksana": s.get("pelaksana"),
                      "kelengkapan": s.get("kelengkapan", ""), "waktu": s.get("waktu", ""),
                      "output": s.get("output", ""), "keterangan": s.get("keterangan", ""),
                      "pertanyaan": k.get("pertanyaan", ""),
                      "ya_label": (k.get("ya") or {}).get("label", ""), "ya_ke": str((k.get("ya") or {}).get("ke", "")),
                      "tidak_label": (k.get("tidak") or {}).get("label", ""),
                      "tidak_ke": str((k.get("tidak") or {}).get("ke", "")),
                      "_extra": {x: s[x] for x in ("no_asli", "pelaksana_inferred", "tahap")
                                 if s.get(x) is not None}})
    fields = []
    for f in data.get("formulir", []):
        a = f.get("aturan") or {}
        fields.append({"nama": f["nama"], "label": f["label"], "jenis": f["jenis"], "wajib": bool(f.get("wajib")),
                       "pilihan": ", ".join(f.get("pilihan") or []), "bantuan": f.get("bantuan") or "",
                       "pola": a.get("pola") or "", "pesan": a.get("pesan") or "", "min": a.get("min"),
                       "max": a.get("max"), "_extra": {k: a[k] for k in ("berkas", "iuran_bpu") if a.get(k)}})
    docs = [{"kode": d["kode"], "label": d["label"], "syarat": d.get("syarat") or "",
             "opsional": bool(d.get("opsional")),
             "wajib_jika_isian": (d.get("wajib_jika") or {}).get("isian", ""),
             "wajib_jika_lebih_dari": (d.get("wajib_jika") or {}).get("lebih_dari"),
             "wajib_jika_atau_isian": (d.get("wajib_jika") or {}).get("atau_isian") or ""}
            for d in data.get("kelengkapan", [])]
    return {
        "identity": {k: data.get(k) or "" for k in IDENTITY},
        "dates": {k: _date(data.get(k)) for k in DATES},
        "pengesah": {k: ttd.get(k) or "" for k in PENGESAH},
        "lists": {k: "\n".join(data.get(k) or []) for k in LISTS},
        "pelaksana": [{"kode": p["kode"], "label": p["label"], "peran": list(p.get("peran") or []),
                       "eksternal": bool(p.get("eksternal"))} for p in data.get("pelaksana", [])],
        "langkah": steps, "formulir": fields, "kelengkapan": docs,
    }


def _date(value):
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def actor_codes(rows: list[dict]) -> list[str]:
    """The executor codes a step may choose: a row just added in the grid has no kode yet (an empty cell
    arrives as NaN, which is truthy, and would break the steps' choice list)."""
    return [c for c in (_text(r.get("kode")) for r in rows) if c]


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _number(value):
    text = _text(value).replace(",", ".")
    return float(text) if text else None


def _ke(value):
    text = _text(value).lower()
    return text if text in ("", catalog.END) else int(float(text)) if text.replace(".", "").isdigit() else text


def from_tables(t: dict) -> dict:
    """Content from the editor's tables (empty cells dropped, and empty rows of every table but the steps);
    validate with :func:`lib.catalogue.revisions.check`. A step row is never dropped: a row added in the grid
    and left empty is a step without kegiatan and pelaksana, which the check refuses by its number."""
    data: dict = {k: _text(v) for k, v in t["identity"].items() if _text(v)}
    data["jenis"] = "sop"
    for k, v in t["dates"].items():
        if v:
            data[k] = v.isoformat() if isinstance(v, dt.date) else _text(v)
    ttd = {k: _text(v) for k, v in t["pengesah"].items() if _text(v)}
    if ttd:
        data["disahkan_oleh"] = ttd
    for k, v in t["lists"].items():
        items = [line.strip() for line in (v or "").splitlines() if line.strip()]
        if items:
            data[k] = items
    data["pelaksana"] = [{"kode": _text(p.get("kode")), "label": _text(p.get("label")),
                          "peran": list(p.get("peran") or []), **({"eksternal": True} if p.get("eksternal") else {})}
                         for p in t["pelaksana"] if _text(p.get("kode")) or _text(p.get("label"))]
    steps = []
    for s in t["langkah"]:  # every row, an empty one too: lib.catalogue.checks names what it lacks
        step = {"no": len(steps) + 1, **(s.get("_extra") or {}), "kegiatan": _text(s.get("kegiatan")),
                "pelaksana": _text(s.get("pelaksana"))}
        for k in ("kelengkapan", "waktu", "output", "keterangan"):
            if _text(s.get(k)):
                step[k] = _text(s.get(k))
        if _text(s.get("pertanyaan")):
            step["keputusan"] = {"pertanyaan": _text(s.get("pertanyaan")),
                                 "ya": {"label": _text(s.get("ya_label")) or "ya", "ke": _ke(s.get("ya_ke"))},
                                 "tidak": {"label": _text(s.get("tidak_label")) or "tidak",
                                           "ke": _ke(s.get("tidak_ke"))}}
        steps.append(step)
    data["langkah"] = steps
    fields = []
    for f in t["formulir"]:
        if not _text(f.get("nama")):
            continue
        field = {"nama": _text(f.get("nama")), "label": _text(f.get("label")), "jenis": _text(f.get("jenis")) or "text"}
        if f.get("wajib"):
            field["wajib"] = True
        choices = [c.strip() for c in _text(f.get("pilihan")).split(",") if c.strip()]
        if choices:
            field["pilihan"] = choices
        if _text(f.get("bantuan")):
            field["bantuan"] = _text(f.get("bantuan"))
        rule = {k: v for k, v in (("pola", _text(f.get("pola"))), ("pesan", _text(f.get("pesan"))),
                                  ("min", _number(f.get("min"))), ("max", _number(f.get("max"))))
                 if v not in ("", None)}
        rule.update(f.get("_extra") or {})
        if rule:
            field["aturan"] = rule
        fields.append(field)
    if fields:
        data["formulir"] = fields
    docs = []
    for d in t["kelengkapan"]:
        if not _text(d.get("kode")):
            continue
        doc = {"kode": _text(d.get("kode")), "label": _text(d.get("label"))}
        if _text(d.get("syarat")):
            doc["syarat"] = _text(d.get("syarat"))
        if d.get("opsional"):
            doc["opsional"] = True
        if _text(d.get("wajib_jika_isian")):
            doc["wajib_jika"] = {"isian": _text(d.get("wajib_jika_isian")),
                                 "lebih_dari": _number(d.get("wajib_jika_lebih_dari")) or 0}
            if _text(d.get("wajib_jika_atau_isian")):
                doc["wajib_jika"]["atau_isian"] = _text(d.get("wajib_jika_atau_isian"))
        docs.append(doc)
    if docs:
        data["kelengkapan"] = docs
    return data


def waktu_checks(steps: list[dict]) -> list[dict]:
    """Each step's waktu as the mutu baku parser reads it, or the reason it cannot."""
    out = []
    for i, s in enumerate(steps):
        text = _text(s.get("waktu"))
        try:
            target = mutu_baku.parse(text)
            shown = "tanpa target" if target is None else target.label() + (
                "" if target.is_calendar else f" = {mutu_baku.format_working_minutes(target.working_minutes)}")
            ok = True
        except mutu_baku.MutuBakuError as err:
            shown, ok = str(err), False
        out.append({"Langkah": i + 1, "Waktu": text or "—", "Dibaca sebagai": shown, "Sah": ok})
    return out


def waktu_summary(readings: list[dict]) -> tuple[bool, str]:
    """(any step unreadable, the line under the steps table) for :func:`waktu_checks`: the unreadable steps
    with their reasons, or every step's reading in short."""
    bad = [c for c in readings if not c["Sah"]]
    return bool(bad), "Pemeriksaan waktu (mutu baku): " + (
        "; ".join(f"langkah {c['Langkah']}: {c['Dibaca sebagai']}" for c in bad) if bad else
        "; ".join(f"L{c['Langkah']} {c['Dibaca sebagai']}" for c in readings))
