"""The trainers' content area (/content): courses and their versions, the draft editor with a
live preview, publish, roll back, diff, zip upload and download, and the media store; and
/media, where signed-in users get the stored images."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from courses.loader import SLUG
from lms.audit.services import record
from lms.auth.access import role_required
from lms.catalog import archive, authoring, history
from lms.catalog.authoring import AuthoringError, PublishRefused, StaleDraft
from lms.catalog.forms import (
    AddFileForm,
    FileForm,
    MediaForm,
    NewCourseForm,
    PreviewForm,
    QuestionImportForm,
    RevisionForm,
    ZipImportForm,
)
from lms.catalog.media import (
    MAX_MEDIA_BYTES,
    MediaError,
    find_media,
    media_url,
    recent_media,
    store_media,
)
from lms.catalog.preview import preview_html
from lms.db import db
from quizzes.aiken import import_aiken_bytes
from quizzes.gift import import_gift_bytes
from quizzes.writer import write_quiz

bp = Blueprint("content", __name__, url_prefix="/content")
media_bp = Blueprint("media", __name__)
TRAINERS = ("trainer", "admin")


def _slug_or_404(slug: str) -> str:
    if not SLUG.match(slug):
        abort(404)
    return slug


def _draft_or_404(slug: str):
    draft = authoring.draft_for(_slug_or_404(slug))
    if draft is None:
        abort(404)
    return draft


def _version_or_404(slug: str, number: int):
    course = authoring.course_for(_slug_or_404(slug))
    version = next((v for v in course.versions if v.number == number), None) if course else None
    if version is None:
        abort(404)
    return course, version


def _problem_rows(problems, slug: str, name: str):
    """This file's problems, and the count of errors elsewhere in the draft."""
    shown = f"{slug}/{name}"
    mine = sorted((p for p in problems if p.path == shown), key=lambda p: (p.line, p.column))
    others = sum(1 for p in problems if p.path != shown and p.severity == "error")
    return mine, others


def _download(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/")
@role_required(*TRAINERS)
def index():
    return render_template("content/index.html", rows=history.catalog_overview(),
                           form=NewCourseForm())


@bp.post("/")
@role_required(*TRAINERS)
def new_course():
    form = NewCourseForm()
    if not form.validate_on_submit():
        return render_template("content/index.html", rows=history.catalog_overview(),
                               form=form), 400
    slug = form.slug.data
    if authoring.course_for(slug) is None:
        authoring.open_draft(slug, current_user.id)
        db.session.commit()
    return redirect(url_for(".course", slug=slug))


def _course_page(slug: str, status: int = 200, **extra):
    course = authoring.course_for(slug)
    draft = authoring.draft_for(slug)
    if course is None and draft is None:
        abort(404)
    problems = authoring.check_draft(draft) if draft else []
    revision = draft.revision if draft else 0
    return render_template(
        "content/course.html", slug=slug, course=course, draft=draft, problems=problems,
        errors=sum(1 for p in problems if p.severity == "error"),
        versions=list(reversed(course.versions)) if course else [],
        learners=history.learners_per_version(course.id) if course else {},
        form=RevisionForm(revision=revision), add_form=AddFileForm(revision=revision),
        zip_form=ZipImportForm(revision=revision), **extra), status


@bp.get("/courses/<slug>")
@role_required(*TRAINERS)
def course(slug: str):
    return _course_page(_slug_or_404(slug))


@bp.post("/courses/<slug>/draft")
@role_required(*TRAINERS)
def open_draft(slug: str):
    if authoring.course_for(_slug_or_404(slug)) is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    authoring.open_draft(slug, current_user.id)
    db.session.commit()
    return redirect(url_for(".course", slug=slug))


@bp.get("/courses/<slug>/draft/<name>")
@role_required(*TRAINERS)
def edit(slug: str, name: str):
    draft = _draft_or_404(slug)
    if name not in draft.files:
        abort(404)
    form = FileForm(revision=draft.revision, text=draft.files[name])
    return _editor(draft, name, form, draft.files[name])


def _editor(draft, name: str, form: FileForm, text: str, status: int = 200, **extra):
    problems = authoring.check_edit(draft, name, text)
    mine, others = _problem_rows(problems, draft.slug, name)
    return render_template(
        "content/editor.html", draft=draft, name=name, form=form, problems=mine, others=others,
        preview=preview_html(name, text), line=request.args.get("line", type=int),
        question_form=QuestionImportForm(revision=draft.revision)
        if authoring.is_quiz_source(name) else None, **extra), status


@bp.post("/courses/<slug>/draft/<name>")
@role_required(*TRAINERS)
def save(slug: str, name: str):
    draft = _draft_or_404(slug)
    if name not in draft.files:
        abort(404)
    form = FileForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        authoring.save_file(draft, name, form.text.data or "", form.revision.data,
                            current_user.id)
    except AuthoringError as exc:
        db.session.rollback()
        draft = _draft_or_404(slug)
        # Keep the trainer's text in the editor so that nothing typed is lost.
        return _editor(draft, name, form, form.text.data or "",
                       status=409 if isinstance(exc, StaleDraft) else 400, error=str(exc))
    db.session.commit()
    flash(_("Saved %(name)s in the draft.", name=name), "success")
    return redirect(url_for(".edit", slug=slug, name=name), code=303)


@bp.post("/courses/<slug>/draft/preview")
@role_required(*TRAINERS)
def preview(slug: str):
    """The live preview: the rendered file and its problems, for unsaved text (JSON)."""
    draft = _draft_or_404(slug)
    form = PreviewForm()
    if not form.validate_on_submit() or form.name.data not in draft.files:
        abort(400)
    text = form.text.data or ""
    if len(text.encode("utf-8")) > authoring.MAX_BYTES:
        abort(413)
    mine, others = _problem_rows(authoring.check_edit(draft, form.name.data, text), slug,
                                 form.name.data)
    return jsonify(html=str(preview_html(form.name.data, text)), others=others, problems=[
        {"line": p.line, "column": p.column, "severity": p.severity, "message": str(p.message)}
        for p in mine])


@bp.post("/courses/<slug>/draft/files")
@role_required(*TRAINERS)
def add_file(slug: str):
    draft = _draft_or_404(slug)
    form = AddFileForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.name.data.strip()
    try:
        authoring.add_file(draft, name, form.revision.data, current_user.id)
    except AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    db.session.commit()
    return redirect(url_for(".edit", slug=slug, name=name))


@bp.post("/courses/<slug>/draft/<name>/delete")
@role_required(*TRAINERS)
def delete_file(slug: str, name: str):
    return _draft_action(slug, lambda draft, revision: authoring.delete_file(
        draft, name, revision, current_user.id), _l("Deleted %(name)s from the draft.",
                                                    name=name))


@bp.post("/courses/<slug>/draft/discard")
@role_required(*TRAINERS)
def discard(slug: str):
    return _draft_action(slug, lambda draft, revision: authoring.discard_draft(draft),
                         _l("The draft was discarded."))


def _draft_action(slug: str, action, done: LazyString):
    draft = _draft_or_404(slug)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    if form.revision.data != draft.revision:
        flash(_("The draft changed after you loaded the page; check it and try again."),
              "error")
        return redirect(url_for(".course", slug=slug))
    try:
        action(draft, form.revision.data)
    except AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    db.session.commit()
    flash(str(done), "success")  # a str: the session would store a lazy string as Markup
    return redirect(url_for(".course", slug=slug))


@bp.post("/courses/<slug>/draft/publish")
@role_required(*TRAINERS)
def publish(slug: str):
    draft = _draft_or_404(slug)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = authoring.publish_draft(draft, form.revision.data)
        record("content_published", actor=current_user, target=("course", slug),
               ip=request.remote_addr, detail={"version": version.number,
                                               "content_hash": version.content_hash})
    except PublishRefused as exc:
        db.session.rollback()
        return _course_page(slug, 422, refused=exc.problems)
    except AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    db.session.commit()
    flash(_("Published v%(num)s. Learners who start from now on get it; those who started "
            "earlier finish the version they started.", num=version.number), "success")
    return redirect(url_for(".course", slug=slug))


@bp.post("/courses/<slug>/versions/<int:number>/rollback")
@role_required(*TRAINERS)
def rollback(slug: str, number: int):
    course, version = _version_or_404(slug, number)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        authoring.rollback(course, version)
    except AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    record("content_published", actor=current_user, target=("course", slug),
           ip=request.remote_addr, detail={"version": number, "rollback": True})
    db.session.commit()
    flash(_("v%(num)s is published again; learners who start from now on get it.", num=number),
          "success")
    return redirect(url_for(".course", slug=slug))


@bp.get("/courses/<slug>/diff")
@role_required(*TRAINERS)
def diff(slug: str):
    """Compare two versions, or a version and the draft (?old=1&new=draft)."""
    course = authoring.course_for(_slug_or_404(slug))
    draft = authoring.draft_for(slug)
    if course is None or not course.versions:
        abort(404)
    versions = {str(v.number): v for v in course.versions}
    published = next((v for v in course.versions if v.status == "published"),
                     course.versions[-1])
    old = request.args.get("old", str(published.number))
    new = request.args.get("new", "draft" if draft else old)

    def files(key: str):
        if key == "draft" and draft is not None:
            return draft.files, "draft"
        if key in versions:
            return history.version_texts(versions[key]), f"v{key}"
        abort(404)

    (old_files, old_label), (new_files, new_label) = files(old), files(new)
    return render_template(
        "content/diff.html", slug=slug, course=course, draft=draft, old=old, new=new,
        diffs=history.diff(old_files, new_files, old_label, new_label),
        choices=[("draft", _("the draft"))] * (draft is not None) + [
            (str(v.number), _version_label(v.number, v.status))
            for v in reversed(course.versions)])


def _version_label(number: int, status: str) -> str:
    if status == "published":
        return _("v%(num)s (published)", num=number)
    if status == "retired":
        return _("v%(num)s (retired)", num=number)
    return _("v%(num)s (%(status)s)", num=number, status=status)


@bp.get("/courses/<slug>/versions/<int:number>.zip")
@role_required(*TRAINERS)
def download_version(slug: str, number: int):
    _, version = _version_or_404(slug, number)
    files = {f.path: f.content for f in version.files}
    return _download(archive.export_zip(slug, files), f"{slug}-v{number}.zip")


@bp.get("/courses/<slug>/draft.zip")
@role_required(*TRAINERS)
def download_draft(slug: str):
    draft = _draft_or_404(slug)
    return _download(archive.export_zip(slug, authoring.draft_bytes(draft)),
                     f"{slug}-draft.zip")


@bp.post("/courses/<slug>/draft/import")
@role_required(*TRAINERS)
def import_zip(slug: str):
    """Replace the draft's files with an uploaded zip's (all of them, or none)."""
    draft = _draft_or_404(slug)
    form = ZipImportForm()
    if not form.validate_on_submit():
        return _course_page(slug, 400, import_problems=[], import_error=" ".join(
            e for errors in form.errors.values() for e in errors))
    files, problems = archive.import_zip(form.archive.data.read(archive.MAX_UPLOAD + 1))
    if files is None:
        return _course_page(slug, 400, import_problems=problems)
    try:
        authoring.replace_files(draft, files, form.revision.data, current_user.id)
    except AuthoringError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".course", slug=slug))
    db.session.commit()
    flash(_("The draft now holds the %(num)s files from the zip.", num=len(files)), "success")
    return redirect(url_for(".course", slug=slug))


@bp.post("/courses/<slug>/draft/<name>/questions")
@role_required(*TRAINERS)
def import_questions(slug: str, name: str):
    """Replace a quiz file with questions converted from GIFT or Aiken."""
    draft = _draft_or_404(slug)
    if name not in draft.files or not authoring.is_quiz_source(name):
        abort(404)
    form = QuestionImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.source.data
    data = upload.read(authoring.MAX_BYTES + 1)
    if len(data) > authoring.MAX_BYTES:
        abort(413)
    convert = import_gift_bytes if form.format.data == "gift" else import_aiken_bytes
    quiz, problems = convert(upload.filename or "upload", data)
    text = draft.files[name]
    if quiz.questions:
        text = write_quiz(quiz)
        try:
            authoring.save_file(draft, name, text, form.revision.data, current_user.id)
        except AuthoringError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".edit", slug=slug, name=name))
        db.session.commit()
    form = FileForm(revision=draft.revision, text=text)
    return _editor(draft, name, form, text, status=200 if quiz.questions else 400,
                   imported=len(quiz.questions), import_problems=problems)


@bp.get("/media")
@role_required(*TRAINERS)
def media():
    return render_template("content/media.html", form=MediaForm(), media=recent_media())


@bp.post("/media")
@role_required(*TRAINERS)
def upload_media():
    form = MediaForm()
    if not form.validate_on_submit():
        return render_template("content/media.html", form=form, media=recent_media()), 400
    upload = form.image.data
    try:
        stored = store_media(upload.filename, upload.read(MAX_MEDIA_BYTES + 1), current_user.id)
    except MediaError as exc:
        db.session.rollback()
        form.image.errors = [str(exc)]
        return render_template("content/media.html", form=form, media=recent_media()), 400
    db.session.commit()
    flash(_("Uploaded. Write %(markdown)s in Markdown to show it.",
            markdown=f"![{_('description')}]({media_url(stored)})"), "success")

    return redirect(url_for(".media"))


@media_bp.get("/media/<sha256>.<ext>")
@login_required
def media_file(sha256: str, ext: str):
    """A stored image, to signed-in users: its own type, never sniffed, cached for good (the
    address is its content's hash)."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        abort(404)
    stored = find_media(sha256, ext)
    if stored is None:
        abort(404)
    return Response(stored.data, mimetype=stored.content_type, headers={
        "Cache-Control": "private, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    })
