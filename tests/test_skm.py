"""SKM (PermenPAN-RB 14/2017): NRR, IKM and its grade, Krejcie–Morgan, reading respondent files, the report."""
import io
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from lib.evaluation import skm

# Hand-checked example, 4 respondents:
#          U1 U2 U3 U4 U5 U6 U7 U8 U9   row sum
#   R1      4  3  3  4  3  3  4  2  3      29
#   R2      3  3  2  4  3  4  4  3  3      29
#   R3      4  4  3  4  4  3  4  3  4      33
#   R4      3  2  3  4  3  3  3  2  3      26
#   total  14 12 11 16 13 13 15 10 13     117
#   NRR = total ÷ 4 = 3.5, 3.0, 2.75, 4.0, 3.25, 3.25, 3.75, 2.5, 3.25
#   exact:  mean NRR = 117 ÷ 36 = 3.25        → IKM = 3.25 × 25 = 81.25 → B, Baik
#   legacy: Σ NRR = 29.25; 29.25 × 0.111 × 25 = 81.16875 → 81.17 → B, Baik
HAND = [[4, 3, 3, 4, 3, 3, 4, 2, 3],
        [3, 3, 2, 4, 3, 4, 4, 3, 3],
        [4, 4, 3, 4, 4, 3, 4, 3, 4],
        [3, 2, 3, 4, 3, 3, 3, 2, 3]]
HEADER = [f"U{i}" for i in range(1, 10)]


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], sep: str = ",", encoding: str = "utf-8") -> bytes:
    return "\n".join(sep.join(str(v) for v in r) for r in rows).encode(encoding)


def messages(data: bytes, filename: str) -> list[str]:
    with pytest.raises(skm.SkmFileError) as err:
        skm.read_responses(data, filename)
    return err.value.messages


# --- the questionnaire ----------------------------------------------------------------------------------

def test_the_nine_unsur_follow_the_regulation_with_their_own_answers():
    assert [u.kode for u in skm.UNSUR] == HEADER
    assert [u.nama for u in skm.UNSUR][:4] == ["Persyaratan", "Sistem, Mekanisme dan Prosedur",
                                              "Waktu Penyelesaian", "Biaya/Tarif"]
    by_name = {u.nama: u.pilihan for u in skm.UNSUR}
    assert by_name["Biaya/Tarif"] == ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")
    assert by_name["Penanganan Pengaduan, Saran dan Masukan"] == (
        "Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik")
    assert by_name["Sarana dan Prasarana"] == ("Buruk", "Cukup", "Baik", "Sangat baik")
    assert skm.UNSUR[0].pertanyaan == ("Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan "
                                       "dengan jenis pelayanannya?")
    assert all(u.pertanyaan.endswith("?") and len(u.pilihan) == 4 for u in skm.UNSUR)


def test_profile_choices_cover_the_questionnaire():
    assert skm.JENIS_KELAMIN == ("Laki-laki", "Perempuan")
    assert "SMA/sederajat" in skm.PENDIDIKAN and "D4/S1" in skm.PENDIDIKAN
    assert skm.PEKERJAAN[-1] == "Lainnya"
    assert [skm.usia_band(a) for a in (17, 20, 29, 45, 59, 60, 80)] == [
        "Di bawah 20 tahun", "20–29 tahun", "20–29 tahun", "40–49 tahun", "50–59 tahun", "60 tahun ke atas",
        "60 tahun ke atas"]


# --- IKM -----------------------------------------------------------------------------------------------

def test_hand_checked_ikm_is_mean_nrr_times_25():
    r = skm.ikm(HAND)
    assert r.respondents == 4
    assert r.totals == (14, 12, 11, 16, 13, 13, 15, 10, 13)
    assert r.nrr == (3.5, 3.0, 2.75, 4.0, 3.25, 3.25, 3.75, 2.5, 3.25)
    assert r.nrr_weighted[0] == pytest.approx(3.5 / 9)
    assert (r.ikm, r.mutu, r.kinerja) == (Decimal("81.25"), "B", "Baik")


def test_legacy_weight_is_sum_of_nrr_times_0_111_times_25():
    r = skm.ikm(HAND, weight="legacy")
    assert r.nrr_weighted[0] == pytest.approx(3.5 * 0.111)
    assert (r.ikm, r.mutu) == (Decimal("81.17"), "B")


def test_legacy_and_exact_differ_and_can_change_the_grade():
    # 5 respondents, 159 points: exact 159/45 × 25 = 88.333… → 88.33 (A); legacy 159/5 × 0.111 × 25 = 88.245
    # exactly, a tie, rounded half up → 88.25 (B).
    rows = [[4] * 9] * 3 + [[3] * 8 + [2], [3] * 7 + [2, 2]]
    exact, legacy = skm.ikm(rows), skm.ikm(rows, weight="legacy")
    assert (exact.ikm, exact.mutu) == (Decimal("88.33"), "A")
    assert (legacy.ikm, legacy.mutu, legacy.kinerja) == (Decimal("88.25"), "B", "Baik")


def test_ikm_rounds_half_up_on_the_decimal_value():
    # 7 respondents all 3 + 1 all 4 = 225 points; 225/72 × 25 = 78.125 exactly: half up 78.13, binary round 78.12.
    r = skm.ikm([[3] * 9] * 7 + [[4] * 9])
    assert round(78.125, 2) == 78.12
    assert r.ikm == Decimal("78.13")
    assert skm.round2(2.675) == Decimal("2.68") and skm.round2(Fraction(-1, 8)) == Decimal("-0.13")


def test_all_answers_four_give_100_grade_a():
    r = skm.ikm([[4] * 9] * 3)
    assert (r.ikm, r.mutu, r.kinerja) == (Decimal("100.00"), "A", "Sangat Baik")
    assert skm.ikm([[4] * 9], weight="legacy").ikm == Decimal("99.90")


def test_all_answers_one_give_25_grade_d():
    assert (skm.ikm([[1] * 9]).ikm, skm.ikm([[1] * 9]).mutu) == (Decimal("25.00"), "D")
    assert skm.ikm([[1] * 9], weight="legacy").mutu == "D"  # 24.98: under the table, still D


def test_ikm_reads_a_dataframe_like_a_list():
    df = pd.DataFrame(HAND, columns=HEADER).assign(pendidikan="SD")
    assert skm.ikm(df) == skm.ikm(HAND)
    assert skm.ikm(df.rename(columns=str.lower)) == skm.ikm(HAND)  # the skm_responses table spells u1…u9


def test_zero_respondents_is_a_clear_error():
    with pytest.raises(ValueError, match="Belum ada responden"):
        skm.ikm([])
    with pytest.raises(ValueError, match="Belum ada responden"):
        skm.ikm(pd.DataFrame(columns=HEADER))


def test_a_bad_answer_or_weight_is_refused_in_indonesian():
    with pytest.raises(ValueError, match="Responden ke-2, U4: nilai “5” harus 1–4"):
        skm.ikm([[4] * 9, [4, 4, 4, 5, 4, 4, 4, 4, 4]])
    with pytest.raises(ValueError, match="harus 9 jawaban"):
        skm.ikm([[4] * 8])
    with pytest.raises(ValueError, match="Bobot"):
        skm.ikm(HAND, weight="0.111")
    with pytest.raises(ValueError, match="Kolom U9"):
        skm.ikm(pd.DataFrame([[4] * 8], columns=HEADER[:8]))


@pytest.mark.parametrize("value, mutu", [
    ("100", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"), ("65.00", "C"),
    ("64.99", "D"), ("25.00", "D"), (88.305, "A"), (Decimal("76.604"), "C")])
def test_grade_edges_are_read_on_the_rounded_value(value, mutu):
    assert skm.grade(value)[0] == mutu


def test_grade_names_the_kinerja():
    assert [skm.grade(v)[1] for v in ("90", "80", "70", "50")] == ["Sangat Baik", "Baik", "Kurang Baik",
                                                                   "Tidak Baik"]
    with pytest.raises(ValueError):
        skm.grade(100.01)


answers = st.lists(st.lists(st.integers(1, 4), min_size=9, max_size=9), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(answers)
def test_ikm_stays_within_25_and_100_and_is_100_only_when_all_answers_are_4(rows):
    r = skm.ikm(rows)
    assert Decimal(25) <= r.ikm <= Decimal(100)
    assert (r.ikm == 100) == all(a == 4 for row in rows for a in row)
    assert r.mutu == skm.grade(r.ikm)[0]


@settings(max_examples=200, deadline=None)
@given(answers)
def test_exact_ikm_is_the_mean_answer_times_25_rounded_half_up(rows):
    total = sum(map(sum, rows))
    r = skm.ikm(rows)
    assert r.ikm == skm.round2(Fraction(total, 9 * len(rows)) * 25)
    assert sum(r.nrr) / 9 * 25 == pytest.approx(float(r.ikm), abs=0.005 + 1e-9)
    assert skm.ikm(rows, weight="legacy").ikm <= r.ikm


# --- Krejcie–Morgan ------------------------------------------------------------------------------------

@pytest.mark.parametrize("population, sample", [
    (10, 10), (50, 44), (100, 80), (200, 132), (500, 217), (1000, 278), (5000, 357), (1_000_000, 384)])
def test_krejcie_morgan_matches_the_published_table(population, sample):
    assert skm.min_sample(population) == sample


def test_krejcie_morgan_rounds_to_nearest_not_up():
    # 50 → 44.34 and 500 → 217.47: the table says 44 and 217, so rounding up (45, 218) would be wrong.
    assert (skm.min_sample(50), skm.min_sample(500)) == (44, 217)
    assert skm.min_sample(1) == 1
    assert all(skm.min_sample(n) <= n for n in range(1, 400))


def test_krejcie_morgan_refuses_a_population_below_one():
    for bad in (0, -5, 10.5, True):
        with pytest.raises(ValueError, match="Populasi"):
            skm.min_sample(bad)


# --- reading respondent files --------------------------------------------------------------------------

def test_an_xlsx_with_a_title_profile_columns_and_totals_is_read_by_spreadsheet_row():
    data = xlsx([
        ["Rekapitulasi SKM Dinas 2025"],
        [],
        ["No", "Jenis Kelamin", "Usia", "Pendidikan", "Pekerjaan", *HEADER],
        [1, "L", 34, "SMA", "Wiraswasta", *HAND[0]],
        [2, "Perempuan", "51", "S1", "PNS", *map(str, HAND[1])],
        [3, "P", None, "D3", "Petani", *[float(v) for v in HAND[2]]],
        [4, None, 19, None, None, *HAND[3]],
        [5, None, None, None, None],  # numbered in advance, never answered: not a respondent
        ["Jumlah", None, None, None, None, 14, 12, 11, 16, 13, 13, 15, 10, 13],
        ["NRR", None, None, None, None, 3.5, 3, 2.75, 4, 3.25, 3.25, 3.75, 2.5, 3.25],
    ])
    df = skm.read_responses(data, "rekap.xlsx")
    assert list(df.index) == [4, 5, 6, 7] and df.index.name == "baris"
    assert list(df.columns) == [*HEADER, "jenis_kelamin", "usia", "pendidikan", "pekerjaan"]
    assert df[HEADER].values.tolist() == HAND
    assert df["jenis_kelamin"].tolist() == ["Laki-laki", "Perempuan", "Perempuan", None]
    assert df["usia"].tolist() == [34, 51, None, 19]
    assert df["pendidikan"].tolist() == ["SMA/sederajat", "D4/S1", "D1-D3", None]
    assert df["pekerjaan"].tolist() == ["Wirausaha", "PNS", "Petani", None]
    assert skm.ikm(df).ikm == Decimal("81.25")


def test_a_semicolon_csv_in_latin_1_is_read():
    rows = [["No", "Jenis Kelamin", *HEADER, "Saran"]]
    rows += [[i, "Perempuan", *r, "Pelayanan sudah baik, café nyaman"] for i, r in enumerate(HAND, start=1)]
    rows[2][-1] = "Jumlah petugas loket kurang"  # a respondent's words, not a totals row
    data = csv_bytes(rows, sep=";", encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    df = skm.read_responses(data, "skm.csv")
    assert df[HEADER].values.tolist() == HAND
    assert list(df.index) == [2, 3, 4, 5]
    assert df["saran"].tolist()[:2] == ["Pelayanan sudah baik, café nyaman", "Jumlah petugas loket kurang"]


def test_a_title_less_header_with_spaced_u_names_is_read():
    header = ["u 1", "U 2", "U03 ", "U-4", "U.5", "U_6", "u7", "U 8 (pengaduan)", "U9"]
    data = csv_bytes([header, *HAND]).replace(b"\n", b"\r\n")
    df = skm.read_responses(data, "skm.csv")
    assert list(df.columns) == HEADER
    assert df[HEADER].values.tolist() == HAND and df.index[0] == 2


def test_a_bad_value_names_its_spreadsheet_row_and_column():
    rows = [HEADER] + [r for r in HAND] + [[4, 4, 4, 4, 4, 4, 4, 4, 4]]
    rows.append([3, 3, 5, 3, 3, 3, 3, 3, 3])  # 7th line of the sheet
    assert messages(xlsx(rows), "skm.xlsx") == ["Baris 7, kolom U3: nilai “5” harus 1–4."]
    assert messages(csv_bytes(rows), "skm.csv") == ["Baris 7, kolom U3: nilai “5” harus 1–4."]


def test_every_bad_cell_is_reported_at_once():
    rows = [HEADER, [4] * 9, [4, "3,5", 4, 4, None, 4, 4, 4, "a"], [4] * 8 + [True]]
    assert messages(xlsx(rows), "skm.xlsx") == [
        "Baris 3, kolom U2: nilai “3,5” harus 1–4.",
        "Baris 3, kolom U5: kosong, harus diisi 1–4.",
        "Baris 3, kolom U9: nilai “a” harus 1–4.",
        "Baris 4, kolom U9: nilai “True” harus 1–4.",
    ]


def test_missing_u_columns_give_one_message():
    assert messages(csv_bytes([HEADER[:7], [4] * 7]), "skm.csv") == [
        "Kolom U8, U9 tidak ditemukan di baris judul (baris 1); harus ada U1 sampai U9."]
    only = messages(csv_bytes([["Nama", "Nilai"], ["Andi", 4]]), "skm.csv")
    assert len(only) == 1 and only[0].startswith("Kolom U1–U9 tidak ditemukan")


def test_an_empty_file_or_a_header_alone_is_refused():
    assert messages(b"", "skm.csv") == ["Berkas kosong: tidak ada baris judul maupun data responden."]
    assert messages(b"\xef\xbb\xbf\r\n", "skm.csv")[0].startswith("Berkas kosong")
    assert messages(xlsx([]), "skm.xlsx")[0].startswith("Berkas kosong")
    assert messages(csv_bytes([HEADER]), "skm.csv") == ["Tidak ada data responden di bawah baris judul (baris 1)."]


def test_a_damaged_workbook_is_refused_in_plain_words():
    assert "tidak dapat dibaca sebagai Excel" in messages(b"PK\x03\x04 not really a zip", "skm.xlsx")[0]


def test_the_sheet_holding_the_u_columns_is_used():
    wb = Workbook()
    wb.active.append(["Petunjuk pengisian"])
    data_ws = wb.create_sheet("Data")
    for r in [HEADER, *HAND]:
        data_ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    assert skm.ikm(skm.read_responses(buf.getvalue(), "skm.xlsx")).ikm == Decimal("81.25")


# --- breakdown, report, CLI ----------------------------------------------------------------------------

def sample_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [[*r, jk, usia] for r, jk, usia in zip(HAND + [[4] * 9], ["Perempuan", "Laki-laki", "Perempuan", None,
                                                                  "Laki-laki"], [25, 41, 28, None, 65])],
        columns=[*HEADER, "jenis_kelamin", "usia"])


def test_breakdown_gives_respondents_and_ikm_per_profile_value_in_profile_order():
    b = skm.breakdown(sample_frame(), "jenis_kelamin")
    assert b.label == "Jenis Kelamin"
    assert [(r.nilai, r.respondents) for r in b.rows] == [("Laki-laki", 2), ("Perempuan", 2), ("Tidak diisi", 1)]
    # Perempuan = R1 + R3 = 62 points / 18 answers × 25 = 86.11
    assert b.rows[1].ikm == Decimal("86.11") and b.rows[1].mutu == "B"


def test_breakdown_groups_ages_in_bands():
    b = skm.breakdown(sample_frame(), "usia")
    assert [(r.nilai, r.respondents) for r in b.rows] == [
        ("20–29 tahun", 2), ("40–49 tahun", 1), ("60 tahun ke atas", 1), ("Tidak diisi", 1)]
    with pytest.raises(ValueError, match="Kolom Pendidikan tidak ada"):
        skm.breakdown(sample_frame(), "pendidikan")


def test_report_workbook_holds_the_tables_and_neutralises_user_text():
    df = sample_frame()
    result = skm.ikm(df)
    data = skm.report_workbook(result, [skm.breakdown(df, "jenis_kelamin"), skm.breakdown(df, "usia")],
                               ["=HYPERLINK(\"http://x\")", "Antrean perlu nomor urut"], "=SKM 2025",
                               population=100)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Ringkasan", "NRR per unsur", "Per Jenis Kelamin", "Per Usia", "Saran"]
    summary = {row[0]: row[1] for row in wb["Ringkasan"].iter_rows(min_row=4, values_only=True)}
    assert wb["Ringkasan"]["A1"].value == "'=SKM 2025"
    assert summary["Nilai IKM"] == float(result.ikm) and summary["Mutu pelayanan"] == result.mutu
    assert summary["Sampel minimum (Krejcie–Morgan)"] == 80
    assert summary["Sampel memenuhi"] == "Tidak (kurang 75 responden)"
    nrr = list(wb["NRR per unsur"].iter_rows(min_row=2, max_row=10, values_only=True))
    assert nrr[0][:6] == ("U1", "Persyaratan", 18, 3.6, 0.4, 90.0) and nrr[0][6] == "A"
    assert wb["Saran"]["B2"].value == "'=HYPERLINK(\"http://x\")"
    assert wb["Per Usia"]["A2"].value == "20–29 tahun"


def test_cli_ikm_returns_exactly_the_json_fields(tmp_path):
    path = tmp_path / "responden.csv"
    path.write_bytes(csv_bytes([HEADER, *HAND], sep=";"))
    out = skm.cli_ikm(path, "exact")
    assert out == {"respondents": 4, "nrr": [3.5, 3.0, 2.75, 4.0, 3.25, 3.25, 3.75, 2.5, 3.25], "ikm": 81.25,
                   "mutu": "B", "kinerja": "Baik"}
    assert skm.cli_ikm(path, "legacy")["ikm"] == 81.17
