"""The dashboard's figures as charts for templates/_macros/charts.html: bars with their label,
length, the value as text, a drill-down link, and the table row that repeats the numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from flask_babel import format_date, format_number, ngettext
from flask_babel import gettext as _

from lms.dashboard.links import ROSTER_PATH, roster_url
from lms.dashboard.services import DONE, ROSTER_COUNTED, Dashboard, Figure

LABEL_UNITS = 30  # room for a label left of a bar, in half-em units (a CJK character is two)
# Bars per department or location chart on the dashboard, lowest completion first. A chart of
# 200 departments cannot be read, and it was three quarters of the page's weight (290 KB at
# 25,000 employees); every group has its row on a page of its own.
GROUP_BARS = 15


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    context: str = ""  # said to screen readers after a link's text ("completed, Sales")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    display: str
    href: str | None = None
    cells: tuple[Cell, ...] = ()
    tick: str | None = None  # the axis label of a column (the table has the whole label)
    abbreviated: str | None = None  # the label beside a bar, if not simply cut to fit

    @property
    def short(self) -> str:
        return self.abbreviated or shorten(self.label)


@dataclass(frozen=True)
class More:
    """Where the groups a chart leaves out are listed."""
    summary: str  # "The 15 departments with the lowest completion, of 198."
    text: str  # the link's text
    href: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    group_header: str
    columns: tuple[str, ...]
    bars: list[Bar]
    max_value: float = 100
    note: str | None = None
    kind: str = "bar"
    notes: list[str] = field(default_factory=list)
    more: More | None = None


def shorten(text: str, units: int = LABEL_UNITS) -> str:
    """Cut a label to fit beside a bar (the table and the tooltip keep it whole)."""
    used = 0
    for n, ch in enumerate(text):
        used += 2 if ch >= "\u2e80" else 1
        if used > units:
            return text[:max(n - 1, 0)].rstrip() + "…"
    return text


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def _n(count: int) -> str:
    return format_number(count)  # 12,345 in the reader's locale


def build(d: Dashboard, base: str = ROSTER_PATH,
          every: dict[str, str] | None = None) -> list[Chart]:
    """All charts of the dashboard, in page order. ``every`` maps "department" and "location"
    to the page that lists all of them; given, those charts keep their GROUP_BARS lowest."""
    params, exact = d.scope.roster_filters(d.catalog)
    note = None if exact else _(
        "The courses shown are at different cycles, and the roster filters by one course and "
        "one cycle: links from these bars list every cycle. Choose a course or a cycle above "
        "for exact drill-down.")
    unrecorded = _("Not recorded")
    titles = d.titles()

    def link(statuses=ROSTER_COUNTED, **extra) -> str:
        return roster_url(base=base, statuses=statuses, **{**params, **extra})

    def completion_bar(f: Figure, label: str, href: Callable[[tuple], str] | None,
                       abbreviated: str | None = None) -> Bar:
        """A completion bar; ``href(statuses)`` links to the group's people in a status."""
        def to(statuses):
            return href(statuses) if href else None

        return Bar(label, f.percent,
                   f"{_percent(f.percent)} ({_n(f.completed)}/{_n(f.total)})",
                   to(ROSTER_COUNTED),
                   (Cell(_n(f.completed), to(DONE), _("completed, %(group)s", group=label)),
                    Cell(_n(f.total), to(ROSTER_COUNTED),
                         _("assigned, %(group)s", group=label)),
                    Cell(_percent(f.percent)),
                    Cell(_n(f.overdue), to(("overdue",)), _("overdue, %(group)s", group=label)),
                    ), abbreviated=abbreviated)

    columns = (_("Completed"), _("Assigned"), _("Completion"), _("Overdue"))
    course_bars, overdue_bars = [], []
    for f in d.by_course:
        course_id, cycle = f.key
        title = titles.get(course_id, "")
        label = f"{title} ({cycle})"
        # Cut the title, not the cycle: bars of one course differ only by their cycle.
        abbreviated = f"{shorten(title, max(8, LABEL_UNITS - len(cycle) - 3))} ({cycle})"

        def cycle_link(statuses, course_id=course_id, cycle=cycle) -> str:
            return roster_url(base=base, course=course_id, cycle=cycle, statuses=statuses)

        course_bars.append(completion_bar(f, label, cycle_link, abbreviated))
        overdue_bars.append(Bar(label, f.overdue, _n(f.overdue), cycle_link(("overdue",)),
                                (Cell(_n(f.overdue), cycle_link(("overdue",)),
                                      _("overdue, %(group)s", group=label)),
                                 Cell(_n(f.total))), abbreviated=abbreviated))
    one_course = d.filters.course_id is not None
    charts = [
        Chart("by-course",
              _("Completion by cycle") if one_course else _("Completion by course"),
              _("Share of assignments completed, per course and cycle. Each bar links to the "
                "people behind it."),
              _("Course (cycle)"), columns, course_bars),
        Chart("overdue", _("Overdue by cycle") if one_course else _("Overdue by course"),
              _("Number of overdue assignments (open and past due), per course and cycle."),
              _("Course (cycle)"), (_("Overdue"), _("Assigned")), overdue_bars,
              max_value=max([f.overdue for f in d.by_course] + [1])),
    ]
    for chart_id, title, header, description, unrecorded_note, figures, name in (
            ("by-department", _("Completion by department"), _("Department"),
             _("Share of assignments completed in the selection, per department, lowest "
               "first."),
             _("People with no department on record cannot be filtered on the roster, so "
               "their bar has no link."), d.by_department, "department"),
            ("by-location", _("Completion by location"), _("Location"),
             _("Share of assignments completed in the selection, per location, lowest first."),
             _("People with no location on record cannot be filtered on the roster, so their "
               "bar has no link."), d.by_location, "location")):
        more = None
        if every and len(figures) > GROUP_BARS:
            more = _more(name, len(figures), every[name])
            figures = figures[:GROUP_BARS]
        bars = [completion_bar(f, f.label if f.label is not None else unrecorded,
                               None if f.key is None else partial(_place_link, link, name, f.key))
                for f in figures]
        notes = [unrecorded_note] if any(f.key is None for f in figures) else []
        charts.append(Chart(chart_id, title, description, header, columns, bars, note=note,
                            notes=notes, more=more))
    total = d.total.total
    points = [Bar(format_date(w.starts_on, "medium"), w.cumulative,
                  f"{_n(w.cumulative)}/{_n(total)}",
                  link(DONE, completed_to=w.ends_on),
                  (Cell(_n(w.cumulative), link(DONE, completed_to=w.ends_on),
                        _("completed by %(day)s", day=format_date(w.ends_on, "medium"))),
                   Cell(_percent(round(100 * w.cumulative / total, 1) if total else 0.0))),
                  tick=format_date(w.starts_on, "d MMM"))
              for w in d.weeks]
    charts.append(Chart(
        "over-time", _("Completions over time"),
        _("Cumulative completions at the end of each week of the cycle, out of %(total)s "
          "assigned.", total=_n(total)),
        _("Week starting"), (_("Completed by the end of the week"), _("Share of assigned")),
        points, max_value=max(total, 1), note=note, kind="columns"))
    return charts


def _more(name: str, total: int, href: str) -> More:
    # The summary's noun goes with GROUP_BARS, fixed; the link's with the total: ngettext.
    if name == "department":
        return More(_("The %(shown)s departments with the lowest completion, of %(total)s.",
                      shown=GROUP_BARS, total=_n(total)),
                    ngettext("All %(num)s department", "All %(num)s departments", total), href)
    return More(_("The %(shown)s locations with the lowest completion, of %(total)s.",
                  shown=GROUP_BARS, total=_n(total)),
                ngettext("All %(num)s location", "All %(num)s locations", total), href)


def _place_link(link: Callable[..., str], name: str, key: int, statuses: tuple) -> str:
    return link(statuses, **{name: key})
