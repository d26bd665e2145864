"""The dashboard: a small server-rendered Flask app served by waitress (``automation web``).

Pages render the read models of ``app/queries``, ``app/agenda`` and ``app/insights``; every
form calls the same use case the CLI calls, under the same tick lock (``actions``). Nothing
here decides anything about a contact. Everything is served by the app itself (no CDN), works
without JavaScript, and every value from a contact or a mail is escaped by Jinja2.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from automation.adapters.clock import system_clock
from automation.config import Config
from automation.core.models import Clock
from automation.errors import Error, UserError
from automation.interfaces.web import actions, auth, pages
from automation.interfaces.web.security import FormTokens, session_secret

SECRET_FILE = "web-secret"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(config: Config, *, clock: Clock = system_clock) -> Flask:
    """The dashboard for the workspace of ``config`` (one Services per request)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=session_secret(config.data_dir / SECRET_FILE),
        SESSION_COOKIE_NAME="automation_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=config.web.secure_cookie,
        WTF_CSRF_TIME_LIMIT=None, MAX_CONTENT_LENGTH=20 * 2**20,
        AUTOMATION_CONFIG=config, AUTOMATION_CLOCK=clock,
    )
    app.jinja_env.autoescape = True
    app.extensions["form_tokens"] = FormTokens()
    CSRFProtect(app)
    auth.init(app)
    pages.init(app)
    actions.init(app)
    _wire(app)
    return app


def _wire(app: Flask) -> None:
    @app.teardown_appcontext
    def close(_exc: BaseException | None) -> None:
        svc = g.pop("svc", None)
        if svc is not None:
            svc.close()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def shared() -> dict[str, Any]:
        return {"form_once": app.extensions["form_tokens"].issue,
                "logged_in": auth.logged_in(), "password_set": auth.password_set()}

    # The one place that maps errors to pages and status codes.
    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", title="Form expired",
                               message="This form has expired; go back, reload the page and "
                                       "submit it again."), 400

    @app.errorhandler(UserError)
    def user_error(exc: UserError) -> tuple[str, int]:
        status = 404 if str(exc).startswith("no contact") else 400
        return render_template("error.html", title="Cannot do that", message=str(exc)), status

    @app.errorhandler(Error)
    def backend_error(exc: Error) -> tuple[str, int]:
        return render_template("error.html", title="Something is failing",
                               message=f"{exc} (see Health for the fix)"), 503

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> tuple[str, int]:
        return render_template("error.html", title="Not found",
                               message="There is no such page."), 404
