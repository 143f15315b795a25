"""Editable tables (``st.data_editor``) whose edits survive every rerun, and whose rows are what the page saves.

A dynamic data editor stays one widget only while its data and its column configuration stay the same:
Streamlit derives its identity from both. When one changes it is a new widget, and the edits made in the old
one are gone although the page has just shown them. The SOP editor met this: the steps' executor choices
follow the executor table, so adding an executor made the steps table forget a target edited a moment before,
and the save stored the old one.

Here the rows live in session state. The editor shows them under a key of its own *generation*; within a
generation its data and configuration are fixed, so Streamlit keeps its edits. When the configuration changes,
the pending edits are first folded into the stored rows and a new generation starts from them. The rows a
page gets back are :func:`apply_edits` of the stored rows and the pending edits, computed once per run: the
page previews and saves that same list. Values of a row that are not columns (kept from the revision) stay
with their row whatever rows are deleted or added around it.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.ui import widgets

_STATE = "_grid:"


def apply_edits(rows: list[dict], edits: dict | None, columns: list[str]) -> list[dict]:
    """``rows`` with a data editor's edits applied, as Streamlit applies them: cell edits by row position in
    ``rows``, then deletions (positions in ``rows``), then the added rows at the end (cells not typed are
    None)."""
    edits = edits or {}
    out = [dict(r) for r in rows]
    for position, changes in (edits.get("edited_rows") or {}).items():
        p = int(position)
        if 0 <= p < len(out):
            out[p].update({c: v for c, v in changes.items() if c in columns})
    deleted = {int(p) for p in edits.get("deleted_rows") or []}
    out = [r for i, r in enumerate(out) if i not in deleted]
    out += [{c: added.get(c) for c in columns} for added in edits.get("added_rows") or []]
    return out


def table(key: str, rows: list[dict], columns: list[str], config: dict, labels: dict[str, str] | None = None
          ) -> list[dict]:
    """An editable table of ``rows`` (``columns`` shown, headed by ``labels``; other keys kept, hidden): the rows as
    edited so far. ``rows`` is read on the first run of ``key`` only; a new ``key`` starts afresh."""
    config = widgets.column_labels(columns, labels, **config)
    signature = repr((columns, config))
    state = st.session_state.get(_STATE + key)
    if state is None:
        state = {"rows": [dict(r) for r in rows], "generation": 0, "signature": signature}
    elif state["signature"] != signature:
        pending = st.session_state.get(_widget(key, state))
        state = {"rows": apply_edits(state["rows"], pending, columns), "generation": state["generation"] + 1,
                 "signature": signature}
    st.session_state[_STATE + key] = state
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in state["rows"]], columns=columns)
    st.data_editor(frame, num_rows="dynamic", width="stretch", key=_widget(key, state), column_config=config,
                   hide_index=True, placeholder=widgets.EMPTY_CELL)
    return apply_edits(state["rows"], st.session_state.get(_widget(key, state)), columns)


def forget_except(prefix: str, keep: str) -> None:
    """Drop the stored rows of every table whose key starts with ``prefix`` but not with ``keep``: tables a
    page no longer shows (another SOP chosen, a save that succeeded) do not come back with old rows."""
    for name in [k for k in st.session_state if isinstance(k, str) and k.startswith(_STATE + prefix)
                 and not k.startswith(_STATE + keep)]:
        del st.session_state[name]


def _widget(key: str, state: dict) -> str:
    return f"{key}~{state['generation']}"
