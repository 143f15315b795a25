"""The one base of every error a user can cause: its text is the Indonesian message to show.

Raised by lib when input or a request cannot be honoured; nothing was written when it is raised. Pages
show ``str(err)`` (``lib.ui.widgets.apply`` catches it, with :class:`lib.base.permissions.PermissionDenied`,
by default) and the CLI prints it with exit code 2. It stays a ``ValueError`` for callers that catch those.
"""
from __future__ import annotations


class UserError(ValueError):
    """A user-caused problem, carrying its Indonesian message; nothing was written."""
