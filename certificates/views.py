from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user, login_required

from certificates.models import Certificate
from certificates.pdf import (
    PdfCacheError,
    PdfRenderError,
    PdfTimeout,
    PdfTooLarge,
    cached_pdf,
    qr_svg,
    render_pdf,
    store_pdf,
)
from certificates.services import certificates_of, course_titles, find_by_code, normalise_code
from lms.clock import today
from lms.db import db
from lms.i18n import SOURCE_LOCALE, match_locale
from lms.people.models import Employee

bp = Blueprint("certificates", __name__)
log = logging.getLogger(__name__)


def verify_url(code: str) -> str:
    base = current_app.config.get("LMS_BASE_URL")
    if base:
        return f"{base}{url_for('certificates.verify', code=code)}"
    return url_for("certificates.verify", code=code, _external=True)


# Every PDF in the app (certificates, evidence summaries, ESG reports, sign-in sheets) goes
# through render_pdf: its refusals and failures get a page of their own instead of a 500.
@bp.app_errorhandler(PdfTooLarge)
def pdf_too_large(error: PdfTooLarge):
    db.session.rollback()
    log.warning("PDF refused on %s %s: %s", request.method, request.path, error)
    return render_template("errors/pdf_too_large.html"), 422


@bp.app_errorhandler(PdfTimeout)
def pdf_timeout(error: PdfTimeout):
    db.session.rollback()
    log.error("PDF timed out on %s %s: %s", request.method, request.path, error)
    # Nothing was cached; a busy machine is the likely cause, so a later try may well work.
    return render_template("errors/pdf_timeout.html"), 503, {"Retry-After": "60"}


@bp.app_errorhandler(PdfRenderError)
def pdf_renderer_stopped(error: PdfRenderError):
    db.session.rollback()
    log.error("PDF renderer failed on %s %s: %s", request.method, request.path, error)
    # A fresh renderer is started for the next render.
    return render_template("errors/pdf_unavailable.html"), 503, {"Retry-After": "30"}


@bp.get("/certificates")
@login_required
def mine():
    certificates = certificates_of(current_user.id)
    return render_template("certificates/mine.html", certificates=certificates,
                           titles=course_titles(certificates), today=today())


def holder_language(certificate: Certificate) -> str:
    """The language the holder reads (their profile's), as an offered Babel name."""
    employee = db.session.get(Employee, certificate.employee_id)
    return match_locale(employee.locale if employee else None) or SOURCE_LOCALE


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF in its holder's language (whoever downloads it), from the cache,
    rendering it once if needed."""
    cache_dir = current_app.config["LMS_CACHE_DIR"]
    language = holder_language(certificate)
    # One cached file per language; English keeps the name it had before translations.
    name = certificate.code if language == SOURCE_LOCALE else f"{certificate.code}.{language}"
    data = cached_pdf(cache_dir, name)
    if data is not None:
        return data
    with force_locale(language):
        html = render_template("pdf/certificate.html", cert=certificate,
                               course_title=course_titles([certificate])[certificate.id],
                               qr=qr_svg(verify_url(certificate.code)),
                               verify_url=verify_url(certificate.code))
    data = render_pdf(html).pdf
    try:
        store_pdf(cache_dir, name, data)
    except PdfCacheError as exc:
        log.warning("%s; serving the rendered PDF uncached", exc)
    return data


@bp.get("/certificates/<code>.pdf")
@login_required
def download(code: str):
    certificate = find_by_code(code)
    if certificate is None or certificate.employee_id != current_user.id:
        abort(404)
    data = certificate_pdf(certificate)
    filename = f"certificate-{certificate.code}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


@bp.get("/verify")
def verify_form():
    raw = request.args.get("code", "").strip()
    if raw:
        code = normalise_code(raw) or raw[:64]
        return redirect(url_for(".verify", code=code))
    return render_template("certificates/verify_form.html")


@bp.get("/verify/<code>")
def verify(code: str):
    """Public: whether a certificate is valid, expired or revoked, with only what it states."""
    certificate = find_by_code(code)
    if certificate is None:
        return render_template("certificates/verify_not_found.html", code=code[:64]), 404
    return render_template("certificates/verify.html", cert=certificate,
                           course_title=course_titles([certificate])[certificate.id],
                           status=certificate.status_on(today()))
