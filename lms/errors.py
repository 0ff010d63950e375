"""Errors whose message is shown to a person (a flash, a form error, the sign-in page).

Services take plain values and must stay usable from the command line and jobs, where there is
no reader and no language; views show the same errors in the reader's language. So a service
raises a ``UserError`` with a message marked by ``lazy_gettext`` and its named values::

    raise BookingError(_l("Cannot book: %(clash)s.", clash=clash))

and the message is translated only when it is read: ``str(error)`` is in the reader's language
inside a request, and in English elsewhere (the CLI, jobs, logs, tests calling the service).
``tests/i18n/test_python_marked.py`` fails on a ``UserError`` raised with an unmarked message,
and on a ``flash()`` of anything but a marked string or such an error.
"""

from __future__ import annotations

from flask_babel import lazy_gettext, lazy_ngettext

__all__ = ["UserError", "lazy_gettext", "lazy_ngettext"]



class UserError(Exception):
    """A refusal meant for the person who asked: the first argument is a lazily translated
    message (``lazy_gettext``), rendered by ``str()`` in the current language."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message
