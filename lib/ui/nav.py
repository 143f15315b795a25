"""The page registry: Home.py builds one st.Page per catalogue document and the pages link to them."""
from __future__ import annotations

import streamlit as st

_PAGES: dict[str, st.Page] = {}


def register(pages: dict[str, st.Page]) -> None:
    _PAGES.clear()
    _PAGES.update(pages)


def page(key: str) -> st.Page | None:
    return _PAGES.get(key)
