"""Every SOP in the catalogue can be carried from intake to the end by the demo users holding the roles
its actor columns name (the same checks the case page makes before showing a step's buttons)."""
import datetime as dt

import pytest

from lib.base import accounts
from lib.base.db import Case, session_factory
from lib.casework import cases
from lib.catalogue import model as catalog
from lib.setup import database as setup

DOCS = {i: d for i, d in catalog.load_catalog().items() if d.jenis == "sop"}
T0 = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('every') / 'portal.db'}"
    setup.init(url, demo=True)
    return url


@pytest.mark.parametrize("sop_id", sorted(DOCS))
def test_a_case_runs_to_the_end_through_the_demo_users_of_each_step(demo_db, sop_id):
    S = session_factory(demo_db)
    with S() as s:
        users = {u: accounts.load_actor(s, u) for u, *_ in accounts.DEMO_USERS}
    sop = DOCS[sop_id]

    def doer(step, scope):
        found = [a for a in users.values() if cases.step_role(a, sop, step, scope) is not None]
        assert found, f"{sop_id} langkah {step.no}: tidak ada pengguna demo dengan peran pelaksananya"
        return found[0]

    opener = next(a for a in users.values() if cases.can_open(a, sop))
    with S.begin() as s:
        v = cases.open_case(s, opener, sop_id, "Uji", now=T0)
    now = T0
    for _ in range(3 * len(sop.langkah)):
        if v.state == "selesai":
            break
        (no,) = v.open_steps
        step = sop.langkah[no - 1]
        with S() as s:
            scope = s.get(Case, v.id).scope
        actor = doer(step, scope)
        now += dt.timedelta(minutes=10)
        with S.begin() as s:
            v = cases.start_step(s, actor, v.id, no, v.version, now=now)
            v = cases.complete_step(s, actor, v.id, no, v.version, outcome="ya" if step.keputusan else None,
                                    now=now + dt.timedelta(minutes=5))
    assert v.state == "selesai"
