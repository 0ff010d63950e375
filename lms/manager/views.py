"""My team (/team): for anyone with at least one active direct report, and only about the
people below them. HR and admins see other teams on their own pages, never through these."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
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

from lms.audit.services import record
from lms.clock import today
from lms.db import db
from lms.i18n import content_locale
from lms.manager.services import (
    NotInTeam,
    NudgeResult,
    course_titles,
    is_manager,
    nudge,
    nudge_overdue,
    parse_query,
    team_count,
    team_page,
    team_places,
    team_rows,
    titles_by_assignment,
)
from lms.reports.roster import STATUSES, header
from lms.reports.spreadsheet import csv_chunks

bp = Blueprint("manager", __name__, url_prefix="/team")


def manager_required(view):
    """Signed in and managing someone right now (checked on every request: reports move)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not _manages_team():
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _manages_team() -> bool:
    """Whether the signed-in person manages anyone, asked at most once a request: the session
    loader already asked it in the query that loaded them (this request, not a cache)."""
    if "manages_team" not in g:
        known = current_user.manages_team
        g.manages_team = is_manager(current_user.id) if known is None else known
    return g.manages_team


@bp.app_context_processor
def _team_link():
    """``manages_team()`` for the navigation's "My team" link: asked only when a template
    calls it, at most once a request."""

    def manages_team() -> bool:
        if not current_user.is_authenticated:
            return False
        return _manages_team()

    return {"manages_team": manages_team}


@bp.get("")
@manager_required
def team():
    """The team's required courses, overdue first, with the summary and the filters."""
    query = parse_query(request.args.to_dict(flat=False))
    day = today()
    page = team_page(current_user.id, query, day)
    departments, locations = team_places(current_user.id, query.direct_only)
    locale = content_locale()
    titles = course_titles(locale)
    return render_template(
        "manager/team.html", query=query, page=page, departments=departments,
        locations=locations, courses=sorted(titles.items(), key=lambda c: c[1].casefold()),
        # The roster's titles are in the source language; others come from the translations.
        titles={} if locale == "en" else titles_by_assignment(
            [row.assignment_id for row in page.rows], titles),
        statuses=STATUSES)


@bp.get("/export.csv")
@manager_required
def export_csv():
    """What the page shows, every page of it, as CSV. The audit entry is committed before
    the first byte goes out, so an export is on record even if the download is cut off."""
    query = parse_query(request.args.to_dict(flat=False))
    filters = query.filters(current_user.id)
    day = today()
    rows = team_count(filters, day)
    record("export", actor=current_user, target=("team", current_user.id),
           detail={"format": "csv", "filters": filters.as_dict(), "rows": rows},
           ip=request.remote_addr)
    db.session.commit()
    bom = request.args.get("bom") == "1"
    response = Response(stream_with_context(csv_chunks(header(), team_rows(filters, day),
                                                       bom=bom)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="team-{day.isoformat()}.csv"')
    return response


def _back() -> str:
    """Where to return after a reminder: the team page the form was on, nothing else."""
    back = request.form.get("back", "")
    if back == "/team" or (back.startswith("/team?") and "\\" not in back):
        return back
    return url_for(".team")


def _flash(result: NudgeResult, single: bool) -> None:
    if result.sent:
        flash(ngettext("Reminder sent to %(num)s person.", "Reminders sent to %(num)s people.",
                       result.sent), "success")
    if result.already:
        flash(_("Already reminded today.") if single else ngettext(
            "%(num)s person was already reminded today.",
            "%(num)s people were already reminded today.", result.already), "success")
    if result.failed:
        flash(ngettext("%(num)s reminder could not be sent: the e-mail address on file is not "
                       "valid. Please tell HR.",
                       "%(num)s reminders could not be sent: the e-mail addresses on file are "
                       "not valid. Please tell HR.", result.failed), "error")
    if result.not_open:
        flash(_("There is nothing to remind about: this training is not open."), "error")
    if not (result.sent or result.already or result.failed or result.not_open):
        flash(_("Nobody is overdue with these filters."), "success")


@bp.post("/assignments/<int:assignment_id>/remind")
@manager_required
def remind(assignment_id: int):
    """Remind one person about one course (at most once a day)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        result = nudge(current_user, assignment_id, today())
    except NotInTeam:
        abort(404)
    db.session.commit()
    _flash(result, single=True)
    return redirect(_back())


@bp.post("/remind-overdue")
@manager_required
def remind_overdue():
    """Remind everyone overdue under the page's filters."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    query = parse_query(request.form.to_dict(flat=False))
    result = nudge_overdue(current_user, query, today())
    db.session.commit()
    _flash(result, single=False)
    return redirect(url_for(".team", **query.args()))

