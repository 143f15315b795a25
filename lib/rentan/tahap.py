"""Where each stage of the pekerja rentan pipeline sits in the SOP in force.

The steps are found by their ``tahap`` (named in ``data/sop/pekerja-rentan.yaml`` and listed in
:data:`lib.catalogue.model.TAHAP`), never by number: the Editor SOP may renumber them, and the pages follow.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from lib.catalogue import store

#: The SOP whose steps the pipeline follows.
SOP_ID = "pekerja-rentan"


def steps(session: Session) -> dict[str, int]:
    """The step number of every named stage in the revision in force (empty when the SOP is not in force)."""
    active = store.active_documents(session).get(SOP_ID)
    return active.doc.stage_steps() if active and active.doc.jenis == "sop" else {}


def label(stage_steps: dict[str, int], *stages: str) -> str:
    """How a page names the SOP steps of ``stages``: "langkah 16", "langkah 8–24", or "" when none is in the SOP."""
    numbers = sorted(stage_steps[s] for s in stages if s in stage_steps)
    if not numbers:
        return ""
    if numbers[0] == numbers[-1]:
        return f"langkah {numbers[0]}"
    return f"langkah {numbers[0]}–{numbers[-1]}"
