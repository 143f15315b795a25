"""Personal data across the portal (UU 27/2022): everything held about one person, found by their NIK in the
cases, the pekerja rentan registries and lists, the village uploads and the audit log, as one logged XLSX."""
