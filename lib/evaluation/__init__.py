"""Evaluation: the public satisfaction survey (SKM) — the e-survey, its index and results, paper
questionnaires — and the quarterly SOP review with its approval."""
