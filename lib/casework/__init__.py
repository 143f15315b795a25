"""Case work: the case engine that moves a case through its SOP's steps, intake forms and the NIK rules,
the worklist (Tugas Saya), the case page's data, attachments and comments, and the registers."""
