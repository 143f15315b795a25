"""Pelaksana Harian (Plh): an official names a deputy who does their work for a period.

* An official (Kepala Dinas, Sekretaris, Kepala Bidang, Kasi) names a deputy for themselves (``delegate``);
  the admin may do it for any official (``manage_delegations``). A reason is required; the period is at most
  :data:`MAX_DAYS` days and one official has one Plh at a time.
* While the delegation runs, the deputy's login carries the delegator's own official roles with their scopes
  (grants marked with the delegation, :class:`lib.base.permissions.Acting`): nothing more. A grant held as
  Plh never gives ``delegate`` or ``manage_delegations`` (a Plh names no Plh), and a delegator's own Plh
  grants are not passed on.
* The delegation ends by itself at ``ends_at``; the delegator (or the admin) may end it early. An action on a
  case re-checks in the database that the delegation still runs at the moment of the action
  (:func:`require_active`), so a login loaded before the end cannot act after it.
* Every step record, history row and audit entry made through a Plh grant names the capacity:
  "Plh. <jabatan>, <deputy> a.n. <delegator>".

The delegation's own states (``berlaku`` → ``diakhiri``) move through lib/base/workflow.py
(``data/workflows/delegasi.yaml``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from lib.base import fmt, workflow
from lib.base.db import Delegation, RoleAssignment, User, utcnow
from lib.base.errors import UserError
from lib.base.permissions import Acting, Actor, Grant, PermissionDenied, has_permission
from lib.base.roles import ROLES
from lib.base.worktime import WIB

#: The roles an official may hand to a Plh, highest first.
OFFICIAL_ROLES: tuple[str, ...] = ("kepala_dinas", "sekretaris", "kepala_bidang", "kasi")
#: The longest a delegation may run.
MAX_DAYS = 90
MIN_REASON = 5


class DelegationError(UserError):
    """A delegation that cannot be made or used (Indonesian message); nothing was written."""


def _end(d: Delegation) -> dt.datetime:
    return min(d.ends_at, d.ended_early_at) if d.ended_early_at else d.ends_at


def _own_grants(session: Session, user_id: int) -> list[tuple[str, str | None]]:
    return [(r, s) for r, s in session.execute(select(RoleAssignment.role, RoleAssignment.scope)
                                               .where(RoleAssignment.user_id == user_id))]


def jabatan(grants) -> str:
    """The official title a delegation stands for: the delegator's highest official role."""
    roles = [r for r, _ in grants if r in OFFICIAL_ROLES]
    return ROLES[min(roles, key=OFFICIAL_ROLES.index)] if roles else "pejabat"


def _scopes(session: Session, d: Delegation) -> tuple[str | None, ...]:
    return (None, *sorted({s for _, s in _own_grants(session, d.delegator_id) if s}))


workflow.register(workflow.ObjectType("delegasi", Delegation, scopes=_scopes, error=DelegationError,
                                      describe=lambda d: f"Plh #{d.id}"))


@workflow.guard("pejabat_sendiri")
def _own_or_admin(session: Session, actor: Actor | None, d: Delegation, context: dict) -> str | None:
    if actor is None or actor.user_id == d.delegator_id or has_permission(actor, "manage_delegations"):
        return None
    return "Plh hanya dapat ditunjuk atau diakhiri oleh pejabat itu sendiri atau Pengelola Portal."


def acting_grants(session: Session, user_id: int, now: dt.datetime | None = None) -> frozenset[Grant]:
    """The grants ``user_id`` holds as Plh at ``now``: each running delegation's delegator's own official roles."""
    now = now or utcnow()
    boss = aliased(User)
    me = aliased(User)
    rows = session.execute(select(Delegation, boss.name, me.name).join(boss, boss.id == Delegation.delegator_id)
                           .join(me, me.id == Delegation.deputy_id)
                           .where(Delegation.deputy_id == user_id, Delegation.starts_at <= now,
                                  Delegation.ends_at > now, Delegation.state == "berlaku", boss.active)).all()
    out = set()
    for d, delegator, deputy in rows:
        own = [(r, s) for r, s in _own_grants(session, d.delegator_id) if r in OFFICIAL_ROLES]
        acting = Acting(d.id, delegator, deputy, jabatan(own), d.ends_at)
        out |= {Grant(r, s, acting) for r, s in own}
    return frozenset(out)


def require_active(session: Session, acting: Acting, now: dt.datetime | None = None) -> None:
    """Refuse an action taken through a Plh grant when the delegation does not run at ``now`` (ended, ended
    early, or not begun): the login may have been loaded while it still ran."""
    now = now or utcnow()
    d = session.get(Delegation, acting.delegation_id, populate_existing=True)
    if d is None or d.state != "berlaku" or not d.starts_at <= now < d.ends_at:
        raise DelegationError(f"Penunjukan Plh a.n. {acting.delegator} tidak berlaku pada {fmt.waktu(now)}: "
                              "tindakan ini tidak dapat dilakukan sebagai Plh.")


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or not user.active:
        raise DelegationError(f"Pengguna “{username}” tidak ada atau tidak aktif.")
    return user


def _check_period(starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise DelegationError("Akhir masa Plh harus sesudah awalnya.")
    if ends_at <= now:
        raise DelegationError("Akhir masa Plh sudah lewat.")
    if ends_at - starts_at > dt.timedelta(days=MAX_DAYS):
        raise DelegationError(f"Masa Plh paling lama {MAX_DAYS} hari.")


def delegate(session: Session, actor: Actor, delegator: str, deputy: str, starts_at: dt.datetime,
             ends_at: dt.datetime, reason: str, now: dt.datetime | None = None) -> int:
    """Name ``deputy`` Plh of ``delegator`` from ``starts_at`` to ``ends_at``; returns the delegation's id."""
    now = now or utcnow()
    if actor.is_anonymous:
        raise PermissionDenied(actor, "delegate")
    boss, sub = _user(session, delegator), _user(session, deputy)
    own = _own_grants(session, boss.id)
    if not any(r in OFFICIAL_ROLES for r, _ in own):
        raise DelegationError(f"{boss.name} bukan pejabat (Kepala Dinas, Sekretaris, Kepala Bidang atau Kasi): "
                              "tidak ada tugas yang dapat di-Plh-kan.")
    if sub.id == boss.id:
        raise DelegationError("Plh harus orang lain, bukan pejabat itu sendiri.")
    if not _own_grants(session, sub.id):
        raise DelegationError(f"{sub.name} tidak memiliki peran di portal.")
    _check_period(starts_at, ends_at, now)
    clash = session.scalar(select(Delegation).where(
        Delegation.delegator_id == boss.id, Delegation.state == "berlaku", Delegation.starts_at < ends_at,
        Delegation.ends_at > starts_at).limit(1))
    if clash is not None:
        raise DelegationError(f"{boss.name} sudah menunjuk Plh untuk {fmt.waktu(clash.starts_at)} – "
                              f"{fmt.waktu(clash.ends_at)}; akhiri dulu penunjukan itu.")
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        raise DelegationError("Tulis alasan penunjukan Plh (mis. cuti, dinas luar).")
    d = Delegation(delegator_id=boss.id, deputy_id=sub.id, starts_at=starts_at, ends_at=ends_at, reason=text[:1000],
                   created_by=actor.user_id, created_at=now)
    workflow.create(session, actor, d, "tunjuk", comment=text, now=now,
                    detail=f"{sub.name} sebagai Plh. {jabatan(own)} a.n. {boss.name}, "
                           f"{fmt.waktu(starts_at)} – {fmt.waktu(ends_at)}: {text[:200]}")
    return d.id


def end_early(session: Session, actor: Actor, delegation_id: int, now: dt.datetime | None = None) -> None:
    """End a running (or future) delegation now: from now on the deputy acts only in their own roles."""
    now = now or utcnow()
    d = session.get(Delegation, delegation_id)
    if d is None:
        raise DelegationError("Penunjukan Plh tidak ditemukan.")
    if _end(d) <= now:
        raise DelegationError("Penunjukan Plh ini sudah berakhir.")
    d.ended_early_at = now
    workflow.transition(session, actor, d, "akhiri", now=now, detail=f"Plh #{d.id} diakhiri {fmt.waktu(now)}")


def period(first: dt.date, last: dt.date, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """A period of whole days in WIB, ``first`` 00.00 to ``last`` 23.59, as instants; a period starting today
    starts now."""
    now = now or utcnow()
    start = dt.datetime.combine(first, dt.time(), tzinfo=WIB)
    end = dt.datetime.combine(last, dt.time(23, 59), tzinfo=WIB)
    return max(start, now) if first <= now.astimezone(WIB).date() else start, end


def officials(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """``(username, name)`` of the officials the actor may name a Plh for: themselves when they hold an
    official role of their own, every active official for the admin."""
    q = (select(User.username, User.name).join(RoleAssignment, RoleAssignment.user_id == User.id)
         .where(User.active, RoleAssignment.role.in_(OFFICIAL_ROLES)).distinct().order_by(User.name))
    if not has_permission(actor, "manage_delegations"):
        q = q.where(User.id == actor.user_id)
    return [(u, n) for u, n in session.execute(q)]


def deputies(session: Session, delegator: str) -> list[tuple[str, str]]:
    """``(username, name)`` of the active users with a role who may stand in for ``delegator``, officials first."""
    rows = session.execute(select(User.username, User.name, RoleAssignment.role)
                           .join(RoleAssignment, RoleAssignment.user_id == User.id)
                           .where(User.active, User.username != delegator)).all()
    rank = {}
    for username, name, role in rows:
        r = OFFICIAL_ROLES.index(role) if role in OFFICIAL_ROLES else len(OFFICIAL_ROLES)
        rank[(username, name)] = min(rank.get((username, name), 99), r)
    return sorted(rank, key=lambda k: (rank[k], k[1]))


@dataclass(frozen=True)
class DelegationView:
    id: int
    delegator: str
    deputy: str
    jabatan: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    status: str
    mine: bool   # the viewer is the delegator (may end it) or the admin

    @property
    def label(self) -> str:
        return f"Plh. {self.jabatan}, {self.deputy} a.n. {self.delegator}"


def listing(session: Session, actor: Actor, now: dt.datetime | None = None,
            include_past: bool = False) -> list[DelegationView]:
    """The delegations the viewer is part of (all of them for the admin), newest first; without
    ``include_past`` only those not yet over."""
    now = now or utcnow()
    boss, sub = aliased(User), aliased(User)
    q = (select(Delegation, boss, sub).join(boss, boss.id == Delegation.delegator_id)
         .join(sub, sub.id == Delegation.deputy_id).order_by(Delegation.starts_at.desc(), Delegation.id.desc()))
    admin = has_permission(actor, "manage_delegations")
    if not admin:
        q = q.where(or_(Delegation.delegator_id == actor.user_id, Delegation.deputy_id == actor.user_id))
    out = []
    for d, b, s in session.execute(q.limit(200)).all():
        end = _end(d)
        if not include_past and end <= now:
            continue
        status = ("diakhiri lebih awal" if d.ended_early_at and end <= now else "berakhir" if end <= now
                  else "berjalan" if d.starts_at <= now else "akan datang")
        out.append(DelegationView(d.id, b.name, s.name, jabatan(_own_grants(session, b.id)), d.starts_at, end,
                                  d.reason, status, admin or d.delegator_id == actor.user_id))
    return out
