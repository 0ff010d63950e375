"""The class pages: employees book and cancel, managers book for their reports, trainers
schedule, instructors take attendance (on a phone), HR follows fill rates and exports the
attendance sheet.

Who sees what on a class page: anyone signed in sees the course, time, place and free places
(never who else is booked); the video link only those with a place and staff; the list of
people only the class's instructors, trainers, HR and admins (and a manager, their own
reports)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from certificates.pdf import render_pdf
from courses.models import ClassSession, Enrollment
from courses.services import attended, awaiting_class
from lms.audit.services import record
from lms.auth.access import role_required
from lms.classroom import queries
from lms.classroom.display import city, class_time, ordinal, zone_names
from lms.classroom.forms import BookForReportForm, ClassForm
from lms.classroom.scheduling import (
    ClassFormError,
    ClassInput,
    as_input,
    cancel_class,
    create_class,
    in_person_courses,
    update_class,
)
from lms.classroom.services import (
    ACTIVE,
    BookingError,
    book,
    cancel,
    close_class,
    mark_attendance,
    may_book_for,
)
from lms.clock import today
from lms.db import db, utcnow
from lms.i18n import content_locale, translated
from lms.people.models import Employee, Location
from lms.people.org import manages_anyone
from lms.reports.spreadsheet import csv_chunks, xlsx_chunks

bp = Blueprint("classroom", __name__)
PER_PAGE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MARKS = ("present", "late", "absent")


# -- helpers for templates ------------------------------------------------------------------

@bp.app_template_global("class_when")
def class_when(session: ClassSession) -> dict[str, str]:
    return class_time(session, content_locale())


@bp.app_template_global("class_places")
def class_places(row: queries.ClassRow) -> str:
    """"3 of 20 places left", or "Full: join the waiting list (you would be 2nd)"."""
    if row.free > 0:
        return _("%(num)s of %(total)s places left", num=row.free, total=row.session.capacity)
    return _("Full: join the waiting list (you would be %(pos)s)",
             pos=ordinal(row.waiting + 1, content_locale()))


@bp.app_template_global("ordinal")
def ordinal_global(number: int) -> str:
    return ordinal(number, content_locale())


@bp.app_template_global("class_panel")
def class_panel(enrollment: Enrollment) -> dict | None:
    """The in-person part of a course, for its learner's course page and quiz result."""
    version = enrollment.version
    if not version.in_person:
        return None
    now = utcnow()
    coming, _past = queries.my_bookings(enrollment.employee_id, now)
    mine = next((b for b in coming if b.session.course_id == version.course_id), None)
    can_book = queries.has_open_assignment(enrollment.employee_id, version.course_id)
    classes = [] if mine or not can_book else queries.upcoming(
        now, [version.course_id], limit=10)
    return {"awaiting": awaiting_class(enrollment),
            "attended": enrollment.status == "completed" or attended(enrollment),
            "mine": mine, "classes": classes, "can_book": can_book}


# -- access -----------------------------------------------------------------------------------

def _has(*roles: str) -> bool:
    return any(current_user.has_role(role) for role in roles)


def _row_or_404(class_id: int) -> queries.ClassRow:
    row = queries.class_row(class_id)
    if row is None:
        abort(404)
    return row


def _instructs(session: ClassSession) -> bool:
    return any(person.id == current_user.id for person in session.instructors)


def _may_take_attendance(session: ClassSession) -> bool:
    return _instructs(session) or _has("trainer", "admin")


def _checked_post() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400)


def _back(default: str) -> str:
    """Where to return after a booking: a class or course page of ours, nothing else."""
    back = request.form.get("back", "")
    if back.startswith(("/classes", "/learn/")) and "//" not in back and "\\" not in back:
        return back
    return default


def _me() -> Employee:
    return current_user._get_current_object()


# -- employees ------------------------------------------------------------------------------

@bp.get("/classes")
@login_required
def my_classes():
    """My places and queue entries, my past classes with attendance, and classes I can book."""
    now = utcnow()
    coming, past = queries.my_bookings(current_user.id, now)
    bookable = queries.upcoming(now, queries.bookable_course_ids(current_user.id, now), 30)
    return render_template("classroom/mine.html", coming=coming, past=past, bookable=bookable,
                           form=FlaskForm())


@bp.get("/classes/<int:class_id>")
@login_required
def class_page(class_id: int):
    row = _row_or_404(class_id)
    session, now = row.session, utcnow()
    booking = queries.booking_of(class_id, current_user.id)
    if booking is not None and booking.status not in ACTIVE:
        booking = None
    staff = _has("trainer", "hr", "admin")
    instructs = _instructs(session)
    manager = db.session.scalar(db.select(manages_anyone(current_user.id)))
    is_open = session.status == "scheduled" and session.starts_at > now
    deadline_passed = now > session.signup_deadline
    context = {
        "row": row, "session": session, "booking": booking,
        "position": queries.queue_position(booking)
        if booking is not None and booking.status == "waitlisted" else None,
        "can_book": (session.status == "scheduled"
                     and queries.has_open_assignment(current_user.id, session.course_id)),
        "open": is_open, "deadline_passed": deadline_passed,
        "may_change": is_open and not deadline_passed,
        "show_link": (booking is not None and booking.status == "booked") or instructs or staff,
        "people": queries.class_list(class_id) if instructs or staff else None,
        "may_mark": instructs or _has("trainer", "admin"),
        "is_trainer": _has("trainer", "admin"), "is_hr": _has("hr", "admin"),
        "reports": queries.reports_in_class(current_user.id, class_id) if manager else [],
        "report_form": None, "form": FlaskForm(),
    }
    if manager and context["may_change"]:
        people = queries.bookable_reports(current_user.id, session)
        if people:
            form = BookForReportForm()
            form.employee_id.choices = [(p.id, f"{p.full_name} ({p.employee_number})")
                                        for p in people]
            context["report_form"] = form
    return render_template("classroom/class.html", **context)


@bp.post("/classes/<int:class_id>/book")
@login_required
def book_place(class_id: int):
    _row_or_404(class_id)
    _checked_post()
    back = _back(url_for(".class_page", class_id=class_id))
    try:
        booking = book(class_id, current_user.id, _me(), utcnow())
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    position = queries.queue_position(booking) if booking.status == "waitlisted" else None
    db.session.commit()
    if position:
        flash(_("The class is full: you are %(pos)s on the waiting list. If a place frees up, "
                "it is yours and we will e-mail you.", pos=ordinal(position, content_locale())),
              "success")
    else:
        flash(_("You have a place in this class. The calendar invitation is on its way by "
                "e-mail."), "success")
    return redirect(back)


@bp.post("/classes/<int:class_id>/unbook")
@login_required
def unbook_place(class_id: int):
    _row_or_404(class_id)
    _checked_post()
    back = _back(url_for(".class_page", class_id=class_id))
    booking = queries.booking_of(class_id, current_user.id)
    waiting = booking is not None and booking.status == "waitlisted"
    try:
        cancel(class_id, current_user.id, _me(), utcnow())
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back)
    db.session.commit()
    flash(_("You have left the waiting list.") if waiting else
          _("Your booking is cancelled. Please book another class before your due date."),
          "success")
    return redirect(back)


# -- managers -----------------------------------------------------------------------------

def _report_id() -> int:
    value = request.form.get("employee_id", "")
    if not value.isdigit() or len(value) > 9:
        abort(400)
    employee_id = int(value)
    if employee_id == current_user.id or not may_book_for(_me(), employee_id):
        abort(403)
    return employee_id


@bp.post("/classes/<int:class_id>/book-report")
@login_required
def book_report(class_id: int):
    _row_or_404(class_id)
    _checked_post()
    employee_id = _report_id()
    try:
        booking = book(class_id, employee_id, _me(), utcnow())
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        name = booking.employee.full_name
        db.session.commit()
        flash(_("%(name)s has a place in this class.", name=name) if booking.status == "booked"
              else _("The class is full: %(name)s is on the waiting list.", name=name),
              "success")
    return redirect(url_for(".class_page", class_id=class_id))


@bp.post("/classes/<int:class_id>/unbook-report")
@login_required
def unbook_report(class_id: int):
    _row_or_404(class_id)
    _checked_post()
    employee_id = _report_id()
    try:
        cancel(class_id, employee_id, _me(), utcnow())
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The booking is cancelled."), "success")
    return redirect(url_for(".class_page", class_id=class_id))


# -- instructors ----------------------------------------------------------------------------

def _attendance_row(class_id: int) -> queries.ClassRow:
    row = _row_or_404(class_id)
    if not _may_take_attendance(row.session):
        abort(403)
    return row


@bp.route("/classes/<int:class_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(class_id: int):
    """The class list with present / late / absent and a note each; built for a phone."""
    row = _attendance_row(class_id)
    session = row.session
    people = queries.class_list(class_id, ("booked",))
    error = None
    if request.method == "POST":
        _checked_post()
        if session.status != "scheduled":
            abort(409)
        marks = {}
        for booking, _person in people:
            value = request.form.get(f"a-{booking.employee_id}", "")
            marks[booking.employee_id] = (value if value in MARKS else None,
                                          request.form.get(f"n-{booking.employee_id}", ""))
        try:
            changed = mark_attendance(class_id, marks, _me(), utcnow())
        except BookingError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(ngettext("Attendance saved (%(num)s change).",
                           "Attendance saved (%(num)s changes).", changed), "success")
            return redirect(url_for(".attendance", class_id=class_id))
    return render_template("classroom/attendance.html", row=row, session=session,
                           people=people, error=error, form=FlaskForm(),
                           started=session.starts_at <= utcnow()), 400 if error else 200


@bp.post("/classes/<int:class_id>/complete")
@login_required
def complete(class_id: int):
    _attendance_row(class_id)
    _checked_post()
    try:
        counts = close_class(class_id, _me(), utcnow())
    except BookingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The class is complete: %(done)s completed the course, %(wait)s still need "
                "the online part, %(absent)s absent.", done=counts["completed"],
                wait=counts["waiting_for_online_part"], absent=counts["absent"]), "success")
    return redirect(url_for(".attendance", class_id=class_id))


# -- trainers -------------------------------------------------------------------------------

def _page() -> int:
    value = request.args.get("page", "").strip()
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


@bp.get("/classes/manage")
@role_required("trainer", "admin")
def manage():
    page = _page()
    rows, total = queries.trainer_classes(utcnow(), page, PER_PAGE)
    return render_template("classroom/manage.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), now=utcnow(), form=FlaskForm())


def _zone_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Our locations' zones first (named by the places), then every other zone."""
    places: dict[str, list[str]] = {}
    for name, zone in db.session.execute(db.select(Location.name, Location.timezone)
                                         .order_by(Location.name)):
        places.setdefault(zone, []).append(name)
    ours = [(zone, f"{zone} ({', '.join(names)})") for zone, names in sorted(places.items())
            if zone in zone_names()]
    rest = [(zone, zone) for zone in zone_names() if zone not in places]
    return [(_("Our locations"), ours), (_("All time zones"), rest)]


def _class_form(session: ClassSession | None) -> ClassForm:
    form = ClassForm()
    form.course_id.choices = [(cid, title) for cid, title in in_person_courses()]
    if session is not None and session.course_id not in dict(form.course_id.choices):
        form.course_id.choices.insert(0, (session.course_id, session.course.slug))
    form.timezone.choices = dict(_zone_groups())
    return form


def _default_zone() -> str:
    location = current_user.location
    zone = location.timezone if location is not None else ""
    return zone if zone in zone_names() else "UTC"


def _save_form(form: ClassForm, session: ClassSession | None):
    """Validate and save; returns the saved class or None (errors are on the form)."""
    form.validate()
    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        abort(400)
    try:
        if session is None:
            saved = create_class(form.as_input(), _me(), utcnow())
            told = 0
        else:
            saved, told = update_class(session.id, form.as_input(), _me(), utcnow())
    except ClassFormError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            field = getattr(form, name, None)
            if field is None:
                form.form_errors.append(message)
            elif not field.errors:
                field.errors = [message]
        return None, 0
    return saved, told


@bp.route("/classes/manage/new", methods=["GET", "POST"])
@role_required("trainer", "admin")
def new_class():
    form = _class_form(None)
    if request.method == "GET":
        form.fill(ClassInput(timezone=_default_zone(), capacity=20,
                             instructors=current_user.email))
    else:
        saved, _told = _save_form(form, None)
        if saved is not None:
            db.session.commit()
            flash(_("Class scheduled."), "success")
            return redirect(url_for(".class_page", class_id=saved.id))
    status = 400 if request.method == "POST" else 200
    return render_template("classroom/form.html", form=form, session=None), status


@bp.route("/classes/manage/<int:class_id>", methods=["GET", "POST"])
@role_required("trainer", "admin")
def edit_class(class_id: int):
    session = db.session.get(ClassSession, class_id)
    if session is None:
        abort(404)
    form = _class_form(session)
    if request.method == "GET":
        form.fill(as_input(session))
    else:
        saved, told = _save_form(form, session)
        if saved is not None:
            db.session.commit()
            flash(ngettext("Class saved. %(num)s person was told of the change.",
                           "Class saved. %(num)s people were told of the change.", told)
                  if told else _("Class saved."), "success")
            return redirect(url_for(".class_page", class_id=class_id))
    status = 400 if request.method == "POST" else 200
    return render_template("classroom/form.html", form=form, session=session), status


@bp.post("/classes/manage/<int:class_id>/cancel")
@role_required("trainer", "admin")
def cancel_class_view(class_id: int):
    if db.session.get(ClassSession, class_id) is None:
        abort(404)
    _checked_post()
    try:
        told = cancel_class(class_id, _me(), utcnow())
    except ClassFormError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(ngettext("Class cancelled. %(num)s person was told.",
                       "Class cancelled. %(num)s people were told.", told), "success")
    return redirect(url_for(".manage"))


# -- HR ---------------------------------------------------------------------------------------

def _date_arg(name: str) -> tuple[date | None, str]:
    raw = request.args.get(name, "").strip()[:10]
    if not raw:
        return None, ""
    try:
        return date.fromisoformat(raw), raw
    except ValueError:
        return None, raw


@bp.get("/hr/classes")
@role_required("hr", "admin")
def hr_classes():
    """Every class with its fill rate, queue and attendance; by course and date range."""
    course = request.args.get("course", "").strip()
    since, since_raw = _date_arg("from")
    until, until_raw = _date_arg("to")
    errors = {}
    if since_raw and since is None:
        errors["from"] = _("Enter a date as YYYY-MM-DD.")
    if until_raw and until is None:
        errors["to"] = _("Enter a date as YYYY-MM-DD.")
    if since and until and until < since:
        errors["to"] = _("The end of the range is before its start.")
    filters = queries.HrFilters(
        course_id=int(course) if course.isdigit() and len(course) < 10 else None,
        since=since, until=until)
    page = _page()
    rows, total = ([], 0) if errors else queries.hr_classes(filters, page, PER_PAGE)
    return render_template(
        "classroom/hr_classes.html", rows=rows, total=total, page=page, filters=filters,
        pages=max(1, -(-total // PER_PAGE)), choices=queries.course_choices(), errors=errors,
        since_raw=since_raw, until_raw=until_raw), 400 if errors else 200


def _sheet_session(class_id: int) -> ClassSession:
    session = db.session.get(ClassSession, class_id)
    if session is None:
        abort(404)
    return session


def _audit_sheet(session: ClassSession, kind: str) -> None:
    """Who took the list of names out, recorded and committed before the file goes out."""
    rows = queries.booked_and_waiting(session.id)
    record("export", actor=_me(), target=("class", session.id), ip=request.remote_addr,
           detail={"format": kind, "what": "attendance sheet", "rows": rows,
                   "course_id": session.course_id,
                   "starts_at": session.starts_at.isoformat()})
    db.session.commit()


def _download(body, mimetype: str, name: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/hr/classes/<int:class_id>/attendance.csv")
@role_required("hr", "admin")
def sheet_csv(class_id: int):
    session = _sheet_session(class_id)
    _audit_sheet(session, "csv")
    chunks = csv_chunks(queries.SHEET_COLUMNS, queries.sheet_rows(class_id),
                        bom=request.args.get("bom") == "1")
    return _download((chunk.encode("utf-8") for chunk in chunks), "text/csv",
                     f"class-{class_id}-attendance.csv")


@bp.get("/hr/classes/<int:class_id>/attendance.xlsx")
@role_required("hr", "admin")
def sheet_xlsx(class_id: int):
    session = _sheet_session(class_id)
    _audit_sheet(session, "xlsx")
    body = xlsx_chunks(queries.SHEET_COLUMNS, queries.sheet_rows(class_id), sheet="Attendance")
    return _download(body, XLSX_TYPE, f"class-{class_id}-attendance.xlsx")


@bp.get("/hr/classes/<int:class_id>/sign-in.pdf")
@role_required("hr", "admin")
def sheet_pdf(class_id: int):
    """A printable A4 sign-in sheet: the class, and a row per person with a signature box."""
    row = _row_or_404(class_id)
    session = row.session
    _audit_sheet(session, "pdf")
    people = queries.sign_in_list(class_id)
    zone = ZoneInfo(session.timezone)
    html = render_template(
        "classroom/sign_in_sheet.html", row=row, session=session, people=people,
        title=translated(row.version, "title") if row.version else session.course.slug,
        when=class_time(session, content_locale()), city=city(session.timezone),
        generated=datetime.now(UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        generated_by=current_user.full_name, today=today())
    pdf = render_pdf(html).pdf
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="class-{class_id}-sign-in.pdf"',
        "Cache-Control": "private, no-store"})
