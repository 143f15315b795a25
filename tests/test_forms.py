"""The intake form from data: every field type and rule, and the kelengkapan checklist."""
import datetime as dt

import pytest

from lib.casework import forms
from lib.catalogue import model as catalog

DOCS = catalog.load_catalog()
AK1 = DOCS["kartu-ak1"]
JHT = DOCS["klaim-jht"]
BPU = DOCS["pendaftaran-bpu"]
ALL_AK1_DOCS = {d.kode: True for d in AK1.kelengkapan}


def ak1(**over):
    values = {"nama": "Andi Saputra", "nik": "3201010101900003", "tanggal_lahir": dt.date(1990, 1, 1),
              "jenis_kelamin": "Laki-laki", "pendidikan": "SMA/SMK", "no_hp": "081234567890"}
    values.update(over)
    return values


def test_a_complete_ak1_intake_passes():
    result = forms.validate(AK1, ak1(), ALL_AK1_DOCS)
    assert result.complete and result.values["nik"] == "3201010101900003"
    assert result.values["tanggal_lahir"] == "1990-01-01"


def test_required_fields_are_named_in_indonesian():
    result = forms.validate(AK1, ak1(nama="  ", pendidikan=None), ALL_AK1_DOCS)
    assert result.errors == {"nama": "Nama lengkap wajib diisi.", "pendidikan": "Pendidikan terakhir wajib diisi."}


def test_a_bad_nik_is_refused_with_the_nik_rule():
    assert forms.validate(AK1, ak1(nik="3201"), ALL_AK1_DOCS).errors["nik"].startswith("NIK harus 16 angka")
    assert "Excel" in forms.validate(AK1, ak1(nik="3.20101E+15"), ALL_AK1_DOCS).errors["nik"]


def test_a_select_accepts_only_its_choices():
    assert "pilih salah satu" in forms.validate(AK1, ak1(pendidikan="SMA"), ALL_AK1_DOCS).errors["pendidikan"]


def test_a_text_pattern_gives_its_own_message():
    assert forms.validate(AK1, ak1(no_hp="12345"), ALL_AK1_DOCS).errors["no_hp"] == "Nomor HP diawali 0, 9–14 angka."


def test_missing_documents_are_listed_for_the_return_note():
    result = forms.validate(AK1, ak1(), {"fc_ktp": True, "fc_ijazah": True})
    assert result.ok and not result.complete
    assert result.missing == ["Pas Photo 3 x 4 (2 lbr)", "Pas Photo 2 x 3 (1 lbr)"]


@pytest.mark.parametrize("saldo, needs_npwp", [("Rp40.000.000", False), ("Rp50.000.000", False),
                                               ("Rp75.500.000", True), (None, False)])
def test_npwp_is_needed_only_above_rp50_juta(saldo, needs_npwp):
    values = {"nama": "Budi", "nik": "3201010101900003", "nomor_kartu": "12345", "saldo_jht": saldo}
    result = forms.validate(JHT, values, {"kartu_peserta": True, "ktp": True})
    assert result.ok and (result.missing == ["NPWP"]) == needs_npwp


def test_money_is_read_in_rupiah_and_checked_against_its_minimum():
    base = {"nama": "Sari", "nik": "3201014101900003", "email": "sari@contoh.id", "no_hp": "081234567890",
            "pekerjaan": "Pedagang"}
    ok = forms.validate(BPU, {**base, "penghasilan": "Rp1.500.000"})
    assert ok.values["penghasilan"] == 1_500_000 and "penghasilan" not in ok.errors
    low = forms.validate(BPU, {**base, "penghasilan": "900.000"})
    assert low.errors["penghasilan"] == "Penghasilan sebulan yang dilaporkan (Rp) minimal 1.000.000."
    bad = forms.validate(BPU, {**base, "penghasilan": "satu juta"})
    assert "angka rupiah" in bad.errors["penghasilan"]


def test_optional_documents_are_never_missing():
    paspor = DOCS["rekomendasi-paspor"]
    docs = {d.kode: True for d in paspor.kelengkapan if d.kode != "paspor"}
    values = {"nama": "Dina", "nik": "3201014101900003", "tanggal_lahir": "1990-01-01", "negara_tujuan": "Malaysia",
              "perusahaan_penempatan": "PT Contoh"}
    assert forms.validate(paspor, values, docs).complete


def pu(**over):
    values = {"nama": "CV Maju Bersama", "npwp": "012345678901234", "nib": "", "alamat": "Jl. Merdeka 1",
              "jumlah_tenaga_kerja": "12", "nama_pemilik": "Budi Santoso", "nik_pemilik": "3201010101900003",
              "email": "admin@majubersama.co.id", "no_hp": "081234567890"}
    values.update(over)
    return values


def test_a_company_registers_with_its_npwp_and_its_seven_documents():
    company = DOCS["pendaftaran-pu"]
    all_docs = {d.kode: True for d in company.kelengkapan}
    result = forms.validate(company, pu(), all_docs)
    assert result.complete and result.values["jumlah_tenaga_kerja"] == 12 and result.values["nib"] is None
    assert forms.validate(company, pu(npwp="01.234.567.8-901.234"), all_docs).errors == {
        "npwp": "NPWP perusahaan 15 atau 16 angka, tanpa titik dan tanda hubung."}
    assert forms.validate(company, pu(nib="12345"), all_docs).errors == {"nib": "NIB 13 angka."}
    assert "jumlah_tenaga_kerja" in forms.validate(company, pu(jumlah_tenaga_kerja="0"), all_docs).errors
    missing = forms.validate(company, pu(), {**all_docs, "ktp_tenaga_kerja": False, "izin_usaha": False}).missing
    assert missing == ["KTP Tenaga Kerja", "Surat Izin Tempat Usaha/Surat Izin Usaha Perdagangan/Nomor Induk Berusaha"]


def test_every_sop_with_an_applicant_asks_for_a_name():
    for doc in DOCS.values():
        if doc.jenis == "sop":
            assert any(f.nama == "nama" and f.wajib for f in doc.formulir), doc.id


def test_a_decision_rule_must_point_at_an_existing_field():
    data = catalog.to_data(JHT)
    data["kelengkapan"][2]["wajib_jika"]["isian"] = "tidak_ada"
    with pytest.raises(catalog.CatalogError, match="wajib_jika"):
        catalog.parse_document(data, "x.yaml")
