"""The catalogue: every file loads, matches its seed, and a bad file gets one clear message."""
import copy

import pytest

from lib.catalogue import model as catalog
from lib.catalogue.model import CatalogError

DOCS = catalog.load_catalog()
EXPECTED_IDS = {"pekerja-rentan", "klaim-jht", "iuran-jasa-konstruksi", "perselisihan-hi", "pelatihan", "kartu-ak1",
                "rekomendasi-paspor", "pbi-jk", "pendaftaran-bpu", "pendaftaran-bpu-bank", "pendaftaran-bpu-online",
                "pendaftaran-bpu-perisai", "pendaftaran-pu", "pendaftaran-pu-online", "standar-pelayanan-bpjs-tk"}
#: Seed 004's four channels of BPU registration: the SOP of each, its kanal and its step count as printed.
BPU_CHANNELS = {"pendaftaran-bpu": ("Loket (layanan kontak fisik)", 8),
                "pendaftaran-bpu-bank": ("Bank (Service Point Office)", 8),
                "pendaftaran-bpu-online": ("Website atau aplikasi JMO", 7),
                "pendaftaran-bpu-perisai": ("Agen PERISAI", 5)}


def test_the_catalogue_holds_every_sop_of_the_seeds():
    assert set(DOCS) == EXPECTED_IDS


@pytest.mark.parametrize("doc_id", sorted(EXPECTED_IDS))
def test_every_catalogue_file_loads_and_its_id_is_its_file_name(doc_id):
    doc = catalog.load_file(catalog.CATALOG_DIR / f"{doc_id}.yaml")
    assert doc.id == doc_id and doc.nama


@pytest.mark.parametrize("doc_id, nomor, steps", [
    ("klaim-jht", "503/44/SOP.TK/DISPMPTSPTK/2024", 6),
    ("iuran-jasa-konstruksi", "503/45/SOP.TK/DISPMPTSPTK/2024", 6),
    ("perselisihan-hi", "503/46/SOP.TK/DISPMPTSPTK/2024", 7),
    ("pelatihan", "503/47/SOP.TK/DISPMPTSPTK/2024", 11),
    ("kartu-ak1", "503/48/SOP.TK/DISPMPTSPTK/2024", 6),
    ("rekomendasi-paspor", "503/49/SOP.TK/DISPMPTSPTK/2024", 7),
    ("pekerja-rentan", None, 25),
    ("pbi-jk", None, 8),
    ("pendaftaran-bpu", None, 8),
    ("pendaftaran-bpu-bank", None, 8),
    ("pendaftaran-bpu-online", None, 7),
    ("pendaftaran-bpu-perisai", None, 5),
    ("pendaftaran-pu", None, 7),
    ("pendaftaran-pu-online", None, 7),
])
def test_sop_numbers_and_step_counts_match_the_seeds(doc_id, nomor, steps):
    doc = DOCS[doc_id]
    assert doc.nomor == nomor and len(doc.langkah) == steps


def test_pekerja_rentan_is_numbered_1_to_25_keeping_the_printed_12_to_16():
    doc = DOCS["pekerja-rentan"]
    assert [s.no for s in doc.langkah] == list(range(1, 26))
    assert [s.no_asli for s in doc.langkah[19:]] == [12, 13, 14, 15, None, 16]
    assert all(s.no_asli is None for s in doc.langkah[:19])


def test_the_sk_is_signed_by_the_kepala_dinas_or_bupati_on_a_step_of_its_own():
    doc = DOCS["pekerja-rentan"]
    sign = doc.langkah[23]
    assert sign.tahap == "sk" and sign.pelaksana == "kepala_dinas" and "Menandatangani SK" in sign.kegiatan


def test_the_12_months_of_coverage_are_no_deadline_that_keeps_the_payment_step_open_a_year():
    pay = DOCS["pekerja-rentan"].langkah[24]
    assert pay.tahap == "pembayaran" and pay.target is None and "masa kepesertaan" in pay.keterangan


def test_the_kepala_dinas_disposes_a_passport_file_to_the_kabid():
    doc = DOCS["rekomendasi-paspor"]
    assert doc.langkah[1].pelaksana == "kepala_dinas"
    assert any("mendisposisi kepada dirinya sendiri" in n for n in doc.catatan_transkripsi)


def test_the_actor_of_kartu_ak1_step_3_is_explained():
    doc = DOCS["kartu-ak1"]
    assert doc.langkah[2].pelaksana == "pengadministrasi"
    assert any("tidak menandai kolom pelaksana langkah 3" in n for n in doc.catatan_transkripsi)


def test_pbi_jk_keeps_its_calendar_windows():
    waktu = [s.waktu for s in DOCS["pbi-jk"].langkah]
    assert waktu[:3] == ["Setiap Tanggal 1 - 15", "Setiap Tanggal 15 - 20", "Tanggal 18 - 20"]
    assert waktu[6] == "2-3 Jam"


@pytest.mark.parametrize("doc_id", ["klaim-jht", "iuran-jasa-konstruksi", "kartu-ak1", "perselisihan-hi",
                                    "rekomendasi-paspor"])
def test_an_incomplete_file_goes_back_to_the_applicant(doc_id):
    step = DOCS[doc_id].langkah[1]
    assert step.keputusan.ya.label == "lengkap" and step.keputusan.ya.ke == 3
    assert step.keputusan.tidak.label == "tidak lengkap" and step.keputusan.tidak.ke == 1


def test_a_dispute_still_open_after_bipartit_goes_on_to_the_mediator():
    step = DOCS["perselisihan-hi"].langkah[2]
    assert step.keputusan.ya.ke == 4 and "berselisih" in step.keputusan.ya.label
    assert step.keputusan.tidak.ke == catalog.END


def test_inferred_actors_are_marked():
    ak1 = DOCS["kartu-ak1"]
    assert all(s.pelaksana_inferred for s in ak1.langkah)
    assert [ak1.actors[s.pelaksana].peran[0] for s in ak1.langkah] == [
        "staf", "staf", "staf", "kasi", "kepala_bidang", "staf"]


def test_every_actor_column_maps_to_portal_roles():
    for doc in DOCS.values():
        for actor in getattr(doc, "pelaksana", []):
            assert actor.peran


def test_the_standar_pelayanan_is_its_own_content_type():
    sp = DOCS["standar-pelayanan-bpjs-tk"]
    assert sp.jenis == "standar_pelayanan"
    assert len(sp.produk) == 3 and set(sp.persyaratan) == set(sp.produk)
    assert len(sp.penanganan_pengaduan) == 8 and len(sp.sarana_prasarana) == 14
    assert all(i in DOCS for i in sp.sop_terkait)


def test_pendaftaran_bpu_has_one_working_day_for_registration_and_seven_calendar_days_for_the_card():
    targets = [s.target for s in DOCS["pendaftaran-bpu"].langkah if s.target]
    assert [(t.max, t.unit) for t in targets] == [(1, "hari"), (7, "hari kalender")]


def test_every_bpu_channel_of_seed_004_is_an_sop_with_its_printed_steps_and_targets():
    for doc_id, (kanal, steps) in BPU_CHANNELS.items():
        doc = DOCS[doc_id]
        assert (doc.layanan, doc.kanal, len(doc.langkah)) == ("Pendaftaran Kepesertaan BPU", kanal, steps)
    # the card "paling lama 7 hari setelah pembayaran iuran" is the last step and the only printed target
    for doc_id in ("pendaftaran-bpu-bank", "pendaftaran-bpu-online"):
        steps = DOCS[doc_id].langkah
        assert [s.no for s in steps if s.waktu] == [len(steps)]
        assert (steps[-1].target.max, steps[-1].target.unit) == (7, "hari kalender")
        assert "7 hari setelah pembayaran iuran" in steps[-1].kegiatan
    assert DOCS["pendaftaran-bpu-bank"].langkah[0].kegiatan.startswith("Datang ke bank kerjasama")
    assert DOCS["pendaftaran-bpu-online"].langkah[1].kegiatan == (
        "Pilih Tombol Pendaftaran Peserta lalu pilih Bukan Penerima Upah (BPU)")
    perisai = DOCS["pendaftaran-bpu-perisai"]
    assert not any(s.waktu for s in perisai.langkah)  # seed 004 prints no time for the agent
    assert [perisai.actors[s.pelaksana].label for s in perisai.langkah if not s.pelaksana_inferred] == [
        "Agen PERISAI", "Agen PERISAI"]


def test_every_bpu_channel_takes_the_counters_form_with_the_contribution_rule_and_documents():
    counter = DOCS["pendaftaran-bpu"]
    for doc_id in BPU_CHANNELS:
        doc = DOCS[doc_id]
        assert doc.formulir == counter.formulir and doc.kelengkapan == counter.kelengkapan
        income = next(f for f in doc.formulir if f.nama == "penghasilan")
        assert (income.aturan.min, income.aturan.max, income.aturan.iuran_bpu) == (1000000, 20700000, "ikut_jht")
    assert len({DOCS[i].kode_register or i for i in BPU_CHANNELS}) == len(BPU_CHANNELS)


PU_DOCUMENTS = ["Formulir Pendaftaran Pemberi Kerja/Badan Usaha", "Formulir Pendaftaran/Perubahan Data Tenaga Kerja",
                "Formulir Rincian Iuran Tenaga Kerja", "NPWP Perusahaan", "KTP Pemilik Perusahaan", "KTP Tenaga Kerja",
                "Surat Izin Tempat Usaha/Surat Izin Usaha Perdagangan/Nomor Induk Berusaha"]


def test_pu_registration_lists_its_seven_documents():
    for doc_id in ("pendaftaran-pu", "pendaftaran-pu-online"):
        doc = DOCS[doc_id]
        assert [d.label for d in doc.kelengkapan] == PU_DOCUMENTS
        assert not any(d.opsional for d in doc.kelengkapan)
        assert doc.langkah[0].kelengkapan == ", ".join(PU_DOCUMENTS)


def test_pu_registration_offline_and_online_are_two_channels_of_one_service_as_printed():
    offline, online = DOCS["pendaftaran-pu"], DOCS["pendaftaran-pu-online"]
    assert offline.layanan == online.layanan == "Pendaftaran Kepesertaan PU"
    assert (offline.kanal, online.kanal) == ("Loket (offline)", "Website (online)")
    assert offline.langkah[0].kegiatan == "Pemohon Membawa Persyaratan dokumen yang dibutuhkan"
    assert offline.langkah[6].kegiatan.startswith("Pemohon membayarkan iuran pertama")
    assert online.langkah[1].kegiatan == "Pilih : “Pendaftaran Peserta” dan pilih Penerima Upah"
    # "1 hari kerja untuk pendaftaran" at the counter; the card "maksimal 7 hari" online
    assert [(s.no, s.target.max, s.target.unit) for s in offline.langkah if s.target] == [(6, 1, "hari")]
    assert [(s.no, s.target.max, s.target.unit) for s in online.langkah if s.target] == [(7, 7, "hari kalender")]


def test_the_pu_form_is_fit_for_a_company():
    doc = DOCS["pendaftaran-pu"]
    fields = {f.nama: f for f in doc.formulir}
    assert list(fields) == ["nama", "npwp", "nib", "alamat", "jumlah_tenaga_kerja", "nama_pemilik",
                            "nik_pemilik", "email", "no_hp"]
    assert fields["nik_pemilik"].jenis == "nik" and fields["jumlah_tenaga_kerja"].aturan.min == 1
    assert not fields["nib"].wajib  # SITU or SIUP may stand in for the NIB
    assert DOCS["pendaftaran-pu-online"].formulir == doc.formulir


def test_layanan_and_kanal_are_given_together_and_left_out_of_the_content_when_unset():
    data = _raw("pendaftaran-bpu")
    del data["kanal"]
    assert "layanan dan kanal diisi bersama" in _error(data)
    assert "kanal" not in catalog.to_data(DOCS["kartu-ak1"])
    assert catalog.to_data(DOCS["pendaftaran-bpu"])["kanal"] == "Loket (layanan kontak fisik)"


def test_search_matches_name_or_nomor_in_any_case():
    ak1 = DOCS["kartu-ak1"]
    assert catalog.matches(ak1, "ak1") and catalog.matches(ak1, "503/48") and catalog.matches(ak1, "KARTU pencari")
    assert not catalog.matches(ak1, "paspor")


def test_the_word_no_is_a_key_not_a_boolean():
    assert catalog.read_yaml("no: 1\nok: yes") == {"no": 1, "ok": "yes"}


# --- bad files: one message naming the file, the step and the field ---------------------------------------
def _raw(doc_id="kartu-ak1"):
    return copy.deepcopy(catalog.read_yaml((catalog.CATALOG_DIR / f"{doc_id}.yaml").read_text(encoding="utf-8")))


def _error(data, name="contoh.yaml"):
    with pytest.raises(CatalogError) as err:
        catalog.parse_document(data, name)
    return str(err.value)


def test_an_unknown_waktu_names_the_file_step_and_field():
    data = _raw()
    data["langkah"][2]["waktu"] = "sebentar"
    msg = _error(data)
    assert msg.startswith("contoh.yaml: langkah 3, waktu:") and "sebentar" in msg


def test_an_unknown_actor_names_the_step():
    data = _raw()
    data["langkah"][3]["pelaksana"] = "kadis"
    assert _error(data).startswith("contoh.yaml: langkah 4, pelaksana:")


def test_a_missing_field_is_named():
    data = _raw()
    del data["langkah"][0]["kegiatan"]
    assert _error(data) == "contoh.yaml: langkah 1, kegiatan: wajib diisi"


def test_an_unknown_role_is_named():
    data = _raw()
    data["pelaksana"][0]["peran"] = ["bos"]
    assert "pelaksana 1, peran" in _error(data)


def test_steps_must_be_numbered_in_order():
    data = _raw()
    data["langkah"][1]["no"] = 7
    assert "langkah 2: no harus 2" in _error(data)


def test_a_decision_must_lead_to_an_existing_step():
    data = _raw()
    data["langkah"][1]["keputusan"]["tidak"]["ke"] = 40
    assert "langkah 2, keputusan.tidak.ke: langkah 40 tidak ada" in _error(data)


def test_an_unknown_field_is_refused():
    data = _raw()
    data["langkah"][0]["durasi"] = "5"
    assert _error(data) == "contoh.yaml: langkah 1, durasi: field tidak dikenal"


def test_a_wrong_content_type_is_refused():
    data = _raw()
    data["jenis"] = "memo"
    assert "jenis harus" in _error(data)


def test_unreadable_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "rusak.yaml"
    path.write_text("id: rusak\nnama: [tidak ditutup\n", encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        catalog.load_file(path)
    assert str(err.value).startswith("rusak.yaml baris")


def test_a_file_whose_id_differs_from_its_name_is_refused(tmp_path):
    path = tmp_path / "lain.yaml"
    path.write_text((catalog.CATALOG_DIR / "kartu-ak1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CatalogError, match="harus sama dengan nama berkas"):
        catalog.load_file(path)


def test_klaim_jht_asks_for_npwp_after_a_partial_claim_whatever_the_balance():
    from lib.casework import forms

    sop = DOCS["klaim-jht"]
    base = {"nama": "Sri", "nik": "3201014101900002", "nomor_kartu": "12345678901", "saldo_jht": "20.000.000"}
    docs = {"kartu_peserta": True, "ktp": True}
    assert "NPWP" not in forms.validate(sop, base, docs).missing
    assert "NPWP" in forms.validate(sop, {**base, "klaim_sebagian": True}, docs).missing
    assert "NPWP" in forms.validate(sop, {**base, "saldo_jht": "60.000.000"}, docs).missing


def test_pbi_jk_is_shown_as_a_jkn_programme_not_bpjs_ketenagakerjaan():
    from lib.catalogue import document

    assert DOCS["pbi-jk"].program == "JKN (BPJS Kesehatan)"
    assert DOCS["klaim-jht"].program == "BPJS Ketenagakerjaan" and DOCS["kartu-ak1"].program is None
    assert "<th>Program</th><td>JKN (BPJS Kesehatan)</td>" in document.identity_html(DOCS["pbi-jk"])


def test_a_replaced_legal_basis_is_shown_with_the_regulation_that_replaced_it():
    from lib.catalogue import document

    html = document.identity_html(DOCS["rekomendasi-paspor"])
    assert "No. 39 Th. 2004 tentang penempatan perlindungan ke luar negeri (dicabut; diganti dengan Undang-Undang " \
           "Nomor 18 Tahun 2017 tentang Pelindungan Pekerja Migran Indonesia)" in html
    assert "[diganti:" not in html


def test_a_service_standard_without_one_of_the_14_components_is_refused_naming_it():
    import yaml

    data = yaml.safe_load((catalog.CATALOG_DIR / "standar-pelayanan-bpjs-tk.yaml").read_text(encoding="utf-8"))
    del data["jaminan_pelayanan"]
    with pytest.raises(CatalogError, match="jaminan pelayanan"):
        catalog.parse_document(data)


def test_the_jmo_balance_limit_of_the_source_carries_a_dated_note_that_it_has_changed():
    steps = [x for p in DOCS["standar-pelayanan-bpjs-tk"].prosedur for x in p.langkah if "JMO" in x and "10 juta" in x]
    assert steps and all("catatan 5 Desember 2026" in x and "telah berubah" in x for x in steps)
