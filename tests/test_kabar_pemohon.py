"""The applicant's e-mail when their file is returned or finished, through a real SMTP server (aiosmtpd)."""
from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from sqlalchemy import func, select

from lib.base.db import AuditEntry
from lib.base.permissions import PermissionDenied
from lib.casework import cases
from lib.kabar import pemohon, surel

from .conftest import add_users
from .test_cases import T0, act
from .test_kabar import AK1_FORM, ALL_AK1, smtp  # noqa: F401  (smtp is a fixture)
from .test_kabar import db as inbox_db  # noqa: F401


@pytest.fixture
def db(inbox_db, ready_db):  # noqa: F811
    add_users(ready_db, ("budi", "kepala_bidang", "bidang:tenaga-kerja"))
    return inbox_db

LATER = T0 + dt.timedelta(hours=2)
FORM = {**AK1_FORM, "email_pemohon": "andi@contoh.example"}


def _returned(db):  # noqa: F811
    view, _ = act(db, "rina", cases.intake, "kartu-ak1", FORM, {**ALL_AK1, "fc_ijazah": False}, now=T0)
    return act(db, "rina", cases.complete_step, view.id, 2, view.version, outcome="tidak", note="Belum lengkap.",
               now=T0 + dt.timedelta(minutes=5))


def _to_the_end(db, view):  # noqa: F811
    minute = 10
    while view.state != "selesai":
        no = view.open_steps[0]
        for user, outcome in itertools.product(("rina", "dewi", "budi", "hendra"), ("ya", None)):
            try:
                view = act(db, user, cases.complete_step, view.id, no, view.version, outcome=outcome,
                           now=T0 + dt.timedelta(minutes=minute))
                break
            except (cases.CaseError, PermissionDenied):
                continue
        else:
            raise AssertionError(f"no one could complete step {no}")
        minute += 5
    return view


def test_a_returned_file_tells_the_applicant_what_is_missing_once(db, smtp):  # noqa: F811
    view = _returned(db)
    assert view.state == "dikembalikan"
    with db() as s:
        notices, _ = pemohon.pending(s, LATER)
    assert [(n.register_no, n.state, n.address, n.missing) for n in notices] == [
        (view.register_no, "dikembalikan", "andi@contoh.example", ("FC Ijazah Terakhir",))]
    pemohon.send(db, LATER)
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "Andi Saputra <andi@contoh.example>"
    assert msg["Subject"] == f"Berkas {view.register_no} dikembalikan"
    text = msg.get_body(("plain",)).get_content()
    assert "1. FC Ijazah Terakhir" in text and "/cek-status?nomor=" in text
    assert AK1_FORM["nik"] not in msg.as_string() and AK1_FORM["nik"][-4:] not in text  # never the NIK
    assert pemohon.send(db, LATER) == [] and len(smtp.messages) == 1  # a second run sends nothing new
    with db() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "kirim_kabar_pemohon")) == 1


def test_an_unreachable_server_loses_no_message_and_old_news_is_not_sent(db, smtp, monkeypatch):  # noqa: F811
    _returned(db)
    monkeypatch.setenv("PORTAL_SMTP_PORT", "1")  # nothing listens there
    with pytest.raises(surel.SurelError, match="tidak dapat dihubungi"):
        pemohon.send(db, LATER)
    with db() as s:
        assert len(pemohon.pending(s, LATER)[0]) == 1  # still pending
        assert pemohon.pending(s, T0 + dt.timedelta(days=pemohon.FRESH_DAYS + 1))[0] == []  # too old by then


def test_a_finished_file_is_told_and_a_file_without_an_address_is_not(db, smtp):  # noqa: F811
    view, _ = act(db, "rina", cases.intake, "kartu-ak1", FORM, ALL_AK1, now=T0)
    other, _ = act(db, "rina", cases.intake, "kartu-ak1", {**AK1_FORM, "nik": "1671010101900003"}, ALL_AK1, now=T0)
    view = _to_the_end(db, view)
    _to_the_end(db, other)
    pemohon.send(db, LATER)
    assert [m["Subject"] for m in smtp.messages] == [f"Berkas {view.register_no} selesai diproses"]


def test_the_dry_run_lists_the_applicant_message_beside_the_digests(db):  # noqa: F811
    view = _returned(db)
    with db() as s:
        notices, _ = pemohon.pending(s, LATER)
    entry = notices[0].as_dict()
    assert entry["username"] is None and entry["email"] == "andi@contoh.example"
    assert entry["items"][0]["berkas"] == view.register_no
    json.dumps(entry)
