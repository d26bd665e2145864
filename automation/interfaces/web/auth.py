"""Log in and out. With a password set (``automation web --set-password``) every page but the
login form and the stylesheet needs a session; without one the server only ever listens on
this machine's loopback name (``automation web`` refuses anything else)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from automation.interfaces.web import context
from automation.interfaces.web.security import check_password, password_hash

#: Login attempts allowed per client address; more get "429 Too Many Requests".
LOGIN_RATE = "5 per minute;20 per hour"
_OPEN = ("login", "static")


def password_set() -> bool:
    return password_hash(context.config().web.password_file) is not None


def logged_in() -> bool:
    return bool(session.get("auth"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //elsewhere or a scheme) may follow the login."""
    if not target:
        return url_for("today")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("today")
    return target


def init(app: Flask) -> None:
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://",
                      default_limits=[], headers_enabled=True)

    @app.before_request
    def require_login() -> BaseResponse | None:
        if request.endpoint in _OPEN or not password_set() or logged_in():
            return None
        if request.path.startswith("/api/"):
            return Response("log in first\n", status=401, mimetype="text/plain")
        return redirect(url_for("login", next=request.full_path.rstrip("?")), 303)

    @app.errorhandler(429)
    def too_many(_exc: Exception) -> tuple[str, int]:
        return render_template("login.html", error="Too many attempts; wait a minute and "
                               "try again.", next=""), 429

    @app.route("/login", methods=["GET", "POST"])
    @limiter.limit(LOGIN_RATE, methods=["POST"])
    def login() -> BaseResponse | str | tuple[str, int]:
        target = _safe_next(request.values.get("next"))
        if request.method == "GET":
            return render_template("login.html", error=None, next=target)
        stored = password_hash(context.config().web.password_file)
        if not check_password(stored, request.form.get("password", "")):
            return render_template("login.html", error="Wrong password.", next=target), 401
        session.clear()
        session["auth"] = True
        return redirect(target, 303)

    @app.post("/logout")
    def logout() -> BaseResponse:
        session.clear()
        return redirect(url_for("login"), 303)
