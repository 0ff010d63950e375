"""Drill-down links: every bar opens the roster with the filters that select the people behind
it. The roster's GET parameters are its public interface: course, cycle, department,
location, manager, direct, status (repeatable), due_from, due_to, completed_from,
completed_to. Built in one place so every link spells them the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import urlencode

ROSTER_PATH = "/hr/roster"


def roster_url(*, base: str = ROSTER_PATH, course: int | None = None, cycle: str | None = None,
               department: int | None = None, location: int | None = None,
               statuses: Iterable[str] = (), completed_from: date | None = None,
               completed_to: date | None = None) -> str:
    params: list[tuple[str, object]] = [
        (name, value) for name, value in (("course", course), ("cycle", cycle),
                                          ("department", department), ("location", location))
        if value is not None]
    params += [("status", status) for status in statuses]
    params += [(name, value.isoformat()) for name, value in (("completed_from", completed_from),
                                                              ("completed_to", completed_to))
               if value is not None]
    return f"{base}?{urlencode(params)}" if params else base
