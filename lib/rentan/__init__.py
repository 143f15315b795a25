"""Pekerja rentan: the regency's desa and the registry extracts (DTKS/P3KE/DTSEN), each desa's candidate list,
the villages' validation files, the cohort from the letters to the SK and the budget, and the desa CLI."""
