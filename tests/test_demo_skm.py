"""Demo SKM answers: every SOP in force gets answers, so Hasil SKM and Evaluasi show real figures; they are
deterministic; and the login page points a demo user to the demo accounts only while they exist."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from lib.base import accounts
from lib.base.db import SkmResponse, User, session_factory
from lib.evaluation import skm, skm_hasil
from lib.evaluation.skm_data import services
from lib.setup import database as setup
from lib.setup import demo_skm
from lib.ui import auth

from .test_demo import NOW, fill
from .test_pages import open_app


def fill_all(url: str, seed: int = 2026) -> int:
    fill(url)
    with session_factory(url).begin() as s:
        return demo_skm.fill_answers(s, seed=seed, now=NOW)


def answers(url: str) -> list[tuple]:
    columns = [c for c in SkmResponse.__table__.columns if c.name != "id"]
    with session_factory(url)() as s:
        return [tuple(r) for r in s.execute(select(*columns).order_by(*columns))]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('skm') / 'reference.db'}"
    made = fill_all(url)
    return url, made, answers(url)


def test_every_sop_in_force_gets_answers_with_an_ikm_in_the_last_quarter(reference):
    url, made, _ = reference
    assert made > 500
    end = NOW.date()
    with session_factory(url)() as s:
        for sop_id in services(s):
            figures = skm_hasil.figures(s, sop_id, end - dt.timedelta(days=365), end)
            assert figures["respondents"] > 0 and figures["ikm"] is not None, sop_id
        quarter = skm_hasil.figures(s, "kartu-ak1", dt.date(2025, 10, 1), dt.date(2025, 12, 31))
        assert quarter["respondents"] > 30 and quarter["mutu"] in ("A", "B", "C", "D")


def test_demo_answers_are_valid_and_none_lies_after_now(reference):
    _, _, rows = reference
    with session_factory(reference[0])() as s:
        got = s.scalars(select(SkmResponse)).all()
    assert all(1 <= getattr(r, u.kode.lower()) <= 4 for r in got for u in skm.UNSUR)
    assert max(r.submitted_at for r in got) <= NOW
    assert {r.source for r in got} == {"online", "kertas"}
    assert len({getattr(r, "u1") for r in got}) > 1  # not one fixed answer


def test_the_same_seed_gives_the_same_answers_on_every_backend(db_url, reference):
    _, made, expected = reference
    assert fill_all(db_url) == made
    assert answers(db_url) == expected


def test_another_seed_gives_other_answers(tmp_path, reference):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    fill_all(url, seed=7)
    assert answers(url) != reference[2]


def test_fill_answers_does_nothing_when_the_database_has_answers(reference):
    with session_factory(reference[0]).begin() as s:
        assert demo_skm.fill_answers(s, now=NOW) == 0


def test_init_in_demo_mode_fills_answers_once_and_reports_them(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'init.db'}"
    monkeypatch.setenv("PORTAL_DEMO_HISTORY", "1")
    report = setup.init(url, demo=True)
    assert report.demo_skm > 500
    assert any(line.startswith("Jawaban SKM demo: ") for line in report.lines())
    assert setup.init(url, demo=True).demo_skm == 0


def test_the_login_page_points_to_the_demo_accounts_only_while_they_exist(app_db):
    at = open_app(user=None)
    assert auth.DEMO_ACCOUNTS_NOTE in [c.value for c in at.caption]
    with session_factory(app_db).begin() as s:
        s.execute(update(User).where(User.username.in_([u for u, *_ in accounts.DEMO_USERS])).values(active=False))
    at = open_app(user=None)
    assert auth.DEMO_ACCOUNTS_NOTE not in [c.value for c in at.caption]
