"""The papers the agency hands out: DOCX templates an agency edits in Word (``templat``), the agenda register
of letter numbers (``agenda``), and the letters, receipts and cards of a case or a cohort (``berkas``, ``kohort``)."""
