"""Shared Streamlit widgets and cached access to lib for the pages. The only Streamlit code in lib."""
