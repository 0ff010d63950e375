"""Guardrail: workplace-conduct training and certification.

``create_app()`` builds the Flask application; nothing is created at import time.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from lms.config import PROJECT_ROOT, ConfigError, load_config

__all__ = ["ConfigError", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from the environment (tests use it)."""
    settings = load_config()
    if config:
        settings.update(config)
    app = Flask(
        __name__,
        instance_path=settings["LMS_INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from lms import models, web  # noqa: F401  (models: every table on the metadata)
    from lms.db import db
    from lms.extensions import babel, csrf, init_limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    # Catalogs in translations/ at the project root; datetimes shown in the company's zone.
    babel.init_app(app, locale_selector=web.select_locale,
                   default_translation_directories=str(PROJECT_ROOT / "translations"),
                   default_timezone=app.config["LMS_TIMEZONE"])
    web.init_app(app)
    # After web (its request setup runs first, so a 429 page gets every header) and before
    # the blueprints (the sign-in views take their limits from it).
    init_limiter(app)
    from lms.auth import oidc

    oidc.init_app(app)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from certificates.views import bp as certificates_bp
    from courses.views import bp as courses_bp
    from lms.api.admin_views import bp as api_admin_bp
    from lms.api.views import bp as api_bp
    from lms.audit.views import bp as audit_bp
    from lms.auth.views import bp as auth_bp
    from lms.catalog.views import bp as content_bp
    from lms.catalog.views import media_bp
    from lms.classroom.views import bp as classroom_bp
    from lms.compliance.views import bp as training_bp
    from lms.dashboard.views import bp as dashboard_bp
    from lms.evidence.views import bp as evidence_bp
    from lms.hr.views import bp as hr_bp
    from lms.i18n_views import bp as i18n_bp
    from lms.manager.views import bp as manager_bp
    from lms.org.views import bp as org_bp
    from lms.people.views import bp as people_bp
    from lms.reports.views import bp as reports_bp
    from lms.scheduler.views import bp as scheduler_bp
    from lms.scim.views import bp as scim_bp
    from quizzes.views import bp as quizzes_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(scheduler_bp)
    app.register_blueprint(hr_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(manager_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(scim_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_admin_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(classroom_bp)
    app.register_blueprint(i18n_bp)


def _register_commands(app: Flask) -> None:
    from bench.cli import bench_cli
    from lms.auth.cli import roles_cli
    from lms.catalog.cli import content_cli
    from lms.compliance.cli import compliance_cli
    from lms.demo.cli import demo_cli
    from lms.notifications.cli import outbox_cli
    from lms.org.cli import org_cli
    from lms.people.cli import people_cli
    from lms.reports.cli import roster_cli
    from lms.scheduler.cli import jobs_cli, scheduler_cli

    app.cli.add_command(bench_cli)
    app.cli.add_command(compliance_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(org_cli)
    app.cli.add_command(people_cli)
    app.cli.add_command(roles_cli)
    app.cli.add_command(roster_cli)
    app.cli.add_command(scheduler_cli)
