"""Two reference endpoints, served beside the app only by the load benchmark's server.

They bound what the pages under load can reach in this stack: ``/healthz`` (the issue's
floor) reads no session, no database and no template, while every signed-in page does.

- ``/_bench/signed-in``: the signed-in person loaded as every page loads them (the session
  cookie, the pool's pre-ping, the session lookup, the request's end), then a JSON answer.
- ``/_bench/layout``: the same, and the site's layout (``base.html``: navigation, language
  switcher, footer) around an empty page, as every page renders it.

A page's share of ``/healthz`` over these shares says how much of its cost is its own. The
production app (``lms:create_app``) never has these routes; ``bench/load.py`` serves this
factory instead, which is that app with this blueprint added."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import login_required

from lms import create_app as create_lms_app

bp = Blueprint("bench_probes", __name__, url_prefix="/_bench", template_folder="templates")
SIGNED_IN_URL = "/_bench/signed-in"
LAYOUT_URL = "/_bench/layout"


@bp.get("/signed-in")
@login_required
def signed_in():
    return {"status": "ok"}


@bp.get("/layout")
@login_required
def layout():
    return render_template("bench_layout.html")


def create_app(config: dict | None = None) -> Flask:
    app = create_lms_app(config)
    app.register_blueprint(bp)
    return app
