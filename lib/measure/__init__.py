"""Measurement: the KPI engine (step times against mutu baku in working time), its tables and charts for
the dashboard, and the event log in and out (CSV/XES for process-mining tools)."""
