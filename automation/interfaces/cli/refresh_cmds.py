"""``automation refresh EMAIL``: fresh times in an unsent draft whose offer lapsed."""

from __future__ import annotations

import click

from automation.app.refresh import describe_outcome, refresh_contact
from automation.errors import UserError
from automation.interfaces.cli.root import AppContext, cli, out


@cli.command()
@click.argument("email")
@click.pass_obj
def refresh(app: AppContext, email: str) -> None:
    """Replace the unsent outreach or follow-up to EMAIL with fresh times, now.

    Every run does this by itself for a draft you have not touched. A draft you edited is
    left alone and flagged instead; this command replaces it anyway, edits included, so copy
    anything you want to keep first.
    """
    svc = app.services()
    with svc.locks.tick():  # never interleaves with a tick's own drafting
        results = refresh_contact(svc, email)
    contact = svc.store.require_contact(email)
    failed = False
    for row, outcome in results:
        out.print(describe_outcome(svc, contact, row, outcome), markup=False)
        failed = failed or outcome.kind not in ("refreshed", "gone")
    if failed:
        raise UserError(f"{contact.email}'s draft was not refreshed; see above")
