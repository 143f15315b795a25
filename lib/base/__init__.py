"""The base every subdomain stands on: database models and settings, accounts with their sessions and login
throttling, roles and permissions, the audit log, the working calendar and mutu baku, Indonesian formatting,
the user-error base and spreadsheets out. It imports no subdomain package (an import-linter contract)."""
