from flask import Blueprint, render_template

bp = Blueprint("org", __name__)


@bp.get("/speak-up")
def speak_up():
    """The reporting channels, for everyone, signed in or not."""
    return render_template("speakup/speak_up.html")
