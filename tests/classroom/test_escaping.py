"""Payloads from the XSS corpus as venues, notes and people's names come out as text on every
class page: no tag, event handler or javascript: URL of theirs reaches the browser."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from markupsafe import escape
from sqlalchemy import select

from lms.classroom.services import book
from lms.compliance.models import Assignment
from lms.db import db, utcnow
from tests import helpers
from tests.classroom.conftest import local_start
from tests.conftest import SHARED

PAGE_TAGS = {"html", "head", "meta", "title", "link", "body", "a", "span", "header", "div",
             "nav", "ul", "ol", "li", "form", "input", "button", "main", "h1", "h2", "h3", "p",
             "label", "select", "option", "optgroup", "section", "table", "caption", "thead",
             "tbody", "tr", "th", "td", "br", "footer", "dl", "dt", "dd", "time", "details",
             "summary", "strong", "fieldset", "legend", "textarea", "progress"}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                self.urls.append(value or "")


def payloads(limit: int) -> list[str]:
    found: list[str] = []
    for name in ("XSS_Injection_Intruders_xss_payloads_quick.txt",
                 "XSS_Injection_Intruders_XSS_Polyglots.txt",
                 "XSS_Injection_Intruders_port_swigger_xss_cheatsheet_event_handlers.txt"):
        text = (SHARED / "corpora" / "xss" / name).read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            line = line.strip()
            if line and len(line) <= 300 and "\x00" not in line and line not in found:
                found.append(line)
    return found[:limit]


def assert_inert(html: str, where: str) -> None:
    parser = Tags()
    parser.feed(html)
    assert parser.tags <= PAGE_TAGS, (where, parser.tags - PAGE_TAGS)
    assert not any(a.startswith("on") for a in parser.attributes), where
    assert not any(u.strip().lower().startswith(("javascript", "data", "vbscript"))
                   for u in parser.urls), where


def test_payloads_come_out_escaped_on_every_class_page(cast, make_class, make_employee,
                                                       make_assignment, as_user):
    words = payloads(90)
    assert len(words) >= 80
    venues, notes, names = words[:30], words[30:50], words[50:]
    course, main = cast["course"], cast["class"]
    main.venue, main.notes, main.capacity = venues[0], notes[0], len(names) + 2
    main.video_url = "javascript:alert(1)"  # never stored by the form; a link only if https
    others = []
    for index, venue in enumerate(venues[1:], start=1):
        session = make_class(course, local_start(11 + index), zone="Asia/Shanghai", venue=venue)
        session.notes = notes[index % len(notes)]
        session.instructors = [cast["instructor"]]
        others.append(session)
    db.session.commit()
    due = utcnow().date() + timedelta(days=90)
    people = []
    for name in names:
        person = make_employee(name, manager=cast["boss"])
        make_assignment(person, course, due_on=due)
        book(main.id, person.id, person, utcnow())
        people.append(person)
    book(main.id, cast["learner"].id, cast["learner"], utcnow())
    db.session.commit()

    learner = as_user("learner@example.com")
    enrollment = helpers.start(learner, db.session.scalar(select(Assignment).where(
        Assignment.employee_id == cast["learner"].id)))
    other = as_user("other@example.com")  # no booking: sees the bookable classes
    pages = {
        "my classes": learner.get("/classes").text,
        "bookable classes": other.get("/classes").text,
        "course home (booked)": learner.get(f"/learn/{enrollment.id}").text,
        "learner's class page": learner.get(f"/classes/{main.id}").text,
        "manager's class page": as_user("boss@example.com").get(f"/classes/{main.id}").text,
        "HR's class page": as_user("hr@example.com").get(f"/classes/{main.id}").text,
        "attendance": as_user("instructor@example.com").get(
            f"/classes/{main.id}/attendance").text,
        "manage": as_user("trainer@example.com").get("/classes/manage").text,
        "edit": as_user("trainer@example.com").get(f"/classes/manage/{main.id}").text,
        "HR list": as_user("hr@example.com").get("/hr/classes").text,
    }
    for session in others:
        pages[f"class {session.id}"] = other.get(f"/classes/{session.id}").text
    for where, html in pages.items():
        assert_inert(html, where)
    everything = "".join(pages.values())
    for word in venues + notes[:len(others) + 1] + names:
        assert str(escape(word)) in everything, word
    for name in names:  # the names are on the staff pages, and on none of the learner's
        assert str(escape(name)) in pages["attendance"], name
        assert str(escape(name)) in pages["manager's class page"], name
        assert str(escape(name)) not in pages["learner's class page"], name
    # a link that is not https is shown to staff as text, never as a link
    assert "javascript:alert(1)" in pages["HR's class page"]
    assert 'href="javascript' not in pages["HR's class page"]
