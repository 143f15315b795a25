"""No broken SOP comes into force: a step without kegiatan, a step whose executor nobody chose, a decision
branch to a step that does not exist, and a step that lost the target it has in force are refused where a
revision is saved, submitted, approved and imported from the shell, each named by its step and field."""
import pytest
import yaml

from lib.base.db import SopRevision
from lib.base.errors import UserError
from lib.catalogue import checks, revisions, sop_form, store
from lib.catalogue import model as catalog

from .cli import run
from .test_revisions import act
from .test_revisions import db as db  # noqa: F401  (the fixture: users adi, hendra, ...)

AK1 = catalog.load_catalog()["kartu-ak1"]


def _ak1() -> dict:
    return catalog.to_data(AK1)


def _blank_step_7(data: dict) -> dict:
    """The user test's step: a row added in the grid, nothing typed, an executor filled in by default."""
    data["langkah"].append({"no": 7, "kegiatan": "", "pelaksana": "pemohon"})
    return data


def _unchosen_actor(data: dict) -> dict:
    data["langkah"].append({"no": 7, "kegiatan": "Mengarsipkan berkas", "pelaksana": ""})
    return data


def _branch_to_step_9(data: dict) -> dict:
    data["langkah"][1]["keputusan"]["ya"]["ke"] = 9
    return data


def _target_of_step_4_dropped(data: dict) -> dict:
    data["langkah"][3]["waktu"] = ""
    return data


BROKEN = {
    "empty_kegiatan": (_blank_step_7, checks.EmptyActivity, "Langkah 7: kegiatan kosong."),
    "no_actor": (_unchosen_actor, checks.NoActor, "Langkah 7: pelaksana belum dipilih."),
    "branch_to_missing_step": (_branch_to_step_9, checks.BranchToMissingStep,
                               "Langkah 2: cabang “ya” menunjuk langkah 9, yang tidak ada"),
    "dropped_target": (_target_of_step_4_dropped, checks.DroppedTarget,
                       "Langkah 4: waktu (mutu baku) kosong, padahal revisi berlaku (revisi 1) menetapkan “5 Menit”"),
}
CASES = pytest.mark.parametrize("kind", list(BROKEN))


def _newest(db) -> SopRevision:
    with db() as s:
        info = revisions.revisions(s, "kartu-ak1")[0]
        return s.get(SopRevision, info.id)


def _store_broken_as_before_the_check(db, rev_id: int, kind: str) -> None:
    """What a save stored before revisions were checked: the broken content as it is, in the row."""
    with db.begin() as s:
        s.get(SopRevision, rev_id).content = BROKEN[kind][0](_ak1())


@CASES
def test_a_broken_revision_is_refused_on_save_naming_the_step_and_field(db, kind):
    breaks, problem, message = BROKEN[kind]
    with pytest.raises(checks.RevisionRefused) as refused:
        act(db, "adi", revisions.save_draft, breaks(_ak1()), "uji")
    assert [type(p) for p in refused.value.problems] == [problem]
    assert message in str(refused.value) and isinstance(refused.value, UserError)
    assert _newest(db).revision_no == 1  # nothing was written


@CASES
def test_a_draft_stored_broken_cannot_be_submitted(db, kind):
    rev = act(db, "adi", revisions.save_draft, _ak1(), "uji")
    _store_broken_as_before_the_check(db, rev, kind)
    with pytest.raises(checks.RevisionRefused, match="Revisi belum dapat diajukan") as refused:
        act(db, "adi", revisions.submit, rev)
    assert [type(p) for p in refused.value.problems] == [BROKEN[kind][1]]
    assert BROKEN[kind][2] in str(refused.value)
    assert _newest(db).state == "draft"


@CASES
def test_a_submitted_revision_stored_broken_cannot_be_approved(db, kind):
    rev = act(db, "adi", revisions.save_draft, _ak1(), "uji")
    act(db, "adi", revisions.submit, rev)
    _store_broken_as_before_the_check(db, rev, kind)
    with pytest.raises(checks.RevisionRefused, match="Revisi belum dapat disahkan") as refused:
        act(db, "hendra", revisions.approve, rev)
    assert [type(p) for p in refused.value.problems] == [BROKEN[kind][1]]
    assert BROKEN[kind][2] in str(refused.value)
    with db() as s:
        assert s.get(SopRevision, rev).state == "diajukan"
        assert store.active_documents(s)["kartu-ak1"].revision_no == 1  # the revision in force stays


@CASES
def test_the_cli_import_refuses_a_broken_revision_with_exit_code_2(db, ready_db, tmp_path, kind):
    breaks, _, message = BROKEN[kind]
    f = tmp_path / "kartu-ak1.yaml"
    f.write_text(yaml.safe_dump(breaks(_ak1()), allow_unicode=True, sort_keys=False), encoding="utf-8")
    res = run("sop", "import", str(f), "--note", "uji", url=ready_db)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr and "Traceback" not in res.stderr
    assert _newest(db).revision_no == 1


def test_several_problems_are_listed_together_each_with_its_step(db):
    data = _target_of_step_4_dropped(_branch_to_step_9(_ak1()))
    data["langkah"].append({"no": 7})
    with pytest.raises(checks.RevisionRefused) as refused:
        act(db, "adi", revisions.save_draft, data, "uji")
    assert [(type(p), p.step, p.field) for p in refused.value.problems] == [
        (checks.BranchToMissingStep, 2, "keputusan.ya.ke"), (checks.DroppedTarget, 4, "waktu"),
        (checks.EmptyActivity, 7, "kegiatan"), (checks.NoActor, 7, "pelaksana")]
    assert str(refused.value).count("\n- Langkah ") == 4


def test_a_branch_without_a_target_or_to_a_non_number_is_a_branch_to_a_missing_step():
    data = _ak1()
    data["langkah"][1]["keputusan"]["ya"]["ke"] = ""
    data["langkah"][1]["keputusan"]["tidak"]["ke"] = "awal"
    found = checks.problems(data, AK1)
    assert [(type(p), p.field) for p in found] == [(checks.BranchToMissingStep, "keputusan.ya.ke"),
                                                   (checks.BranchToMissingStep, "keputusan.tidak.ke")]
    assert "belum menunjuk langkah" in str(found[0]) and "tidak menunjuk nomor langkah" in str(found[1])


def test_a_target_is_kept_by_the_step_not_by_its_number():
    inserted = _ak1()  # a new step 4 without target before the paraf step: the paraf step keeps its 5 Menit
    inserted["langkah"].insert(3, {"no": 4, "kegiatan": "Menunggu antrean paraf", "pelaksana": "kasi"})
    for i, step in enumerate(inserted["langkah"], start=1):
        step["no"] = i
    assert checks.problems(inserted, AK1) == []
    inserted["langkah"][4]["waktu"] = ""  # the paraf step, now number 5, lost its target
    assert [(type(p), p.step) for p in checks.problems(inserted, AK1)] == [(checks.DroppedTarget, 5)]
    reworded = _target_of_step_4_dropped(_ak1())  # reworded in place and emptied: still the same step
    reworded["langkah"][3]["kegiatan"] = "Memeriksa dan memaraf"
    assert [(type(p), p.step) for p in checks.problems(reworded, AK1)] == [(checks.DroppedTarget, 4)]
    assert checks.problems(_target_of_step_4_dropped(_ak1()), None) == []  # a new SOP has nothing to keep


def test_an_empty_row_added_to_the_steps_table_is_a_step_to_refuse_not_a_row_to_drop():
    tables = sop_form.to_tables(_ak1())
    tables["langkah"].append({})
    data = sop_form.from_tables(tables)
    assert len(data["langkah"]) == 7
    assert [(type(p), p.step) for p in checks.problems(data, AK1)] == [(checks.EmptyActivity, 7),
                                                                        (checks.NoActor, 7)]


def test_a_refusal_quotes_no_typed_text_so_a_page_may_show_it_as_markdown():
    data = _ak1()
    data["langkah"][1]["keputusan"]["ya"]["ke"] = "![x](http://contoh.invalid/x.png)"
    data["langkah"][3]["kegiatan"] = "[klik](http://contoh.invalid)"
    data["langkah"][3]["waktu"] = ""
    message = str(checks.RevisionRefused(checks.problems(data, AK1)))
    assert "contoh.invalid" not in message and "Langkah 2: cabang “ya” tidak menunjuk nomor langkah" in message
