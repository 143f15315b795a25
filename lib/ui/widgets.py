"""Small shared widgets: the page header, the CSS, document downloads."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from lib import document

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def inject_css() -> None:
    """The portal's CSS plus the SOP document CSS, and print rules that hide Streamlit's chrome."""
    css = (ASSETS / "portal.css").read_text(encoding="utf-8") + document.css()
    st.html(f"<style>{css}</style>")


def header(title: str, caption: str | None = None) -> None:
    st.title(title, anchor=False)
    if caption:
        st.caption(caption)
