"""Commands for the people who run Ungebot: API tokens, and members from a spreadsheet."""
from __future__ import annotations

import sys
from contextlib import nullcontext

import click

from bot.api import ROLES
from bot.command_runtime import echo_table, minute, ready_runtime


@click.group()
def tokens() -> None:
    """Bearer tokens for the REST API."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(ROLES),
    help="admin: tokens and everything staff may; staff: communities; counsellor: anonymous cases (only they)",
)
def tokens_create(name: str, role: str) -> None:
    """Make a token called NAME and print it. It is shown only this once."""
    from bot.api.auth import TokenError, create_token
    from bot.core import clock

    runtime = ready_runtime()
    try:
        with runtime.db.session() as session:
            token = create_token(session, name=name, role=role, now=clock.now())
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(token)
    click.echo(f"token {name.strip()!r} ({role}) created; keep it safe, it cannot be shown again", err=True)


@tokens.command("list")
def tokens_list() -> None:
    """The tokens, with role and when each was made and last used (never the token itself)."""
    from bot.api.auth import list_tokens

    runtime = ready_runtime()
    zone = runtime.settings.zone
    with runtime.db.session() as session:
        rows = [
            (t.name, t.role, minute(t.created_at, zone), minute(t.last_used_at, zone), minute(t.revoked_at, zone))
            for t in list_tokens(session)
        ]
    headings = ("NAME", "ROLE", "CREATED", "LAST USED", "REVOKED")
    echo_table(headings, rows, when_empty="no tokens; make one with `ungebot tokens create NAME --role staff`")


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Stop the token called NAME from working, at once and for good."""
    from bot.api.auth import TokenError, revoke_token
    from bot.core import clock

    runtime = ready_runtime()
    try:
        with runtime.db.session() as session:
            revoke_token(session, name, clock.now())
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"token {name!r} is revoked")


@click.group()
def members() -> None:
    """Members of communities."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--community", required=True, help="The community's slug (the name of its file)")
def members_import(file: str, community: str) -> None:
    """Add the young people in a CSV FILE to a community (or update them if they are members).

    Columns (Danish or English): navn/name, telefon/phone, sprog/language,
    kontaktperson/contact_person, kontaktperson_telefon/contact_person_phone,
    kontaktperson_email/contact_person_email, kontaktperson_samtykke/contact_person_consent
    (ja/nej), påmindelse/reminder_time (HH:MM). Only telefon is required.

    Staff must have each young person's consent before importing them: they become active
    members at once. Bad rows are reported as FILE:LINE: message and skipped; exit 1 if any were.
    """
    from bot.core import clock
    from bot.domain.communities.csv_import import CsvFileError, import_members, read_member_file
    from bot.domain.communities.members import known_communities

    runtime = ready_runtime()
    communities = known_communities(runtime)
    if community not in communities:
        known = ", ".join(sorted(communities)) or "none"
        raise click.ClickException(f"no community {community!r} (known: {known})")
    try:
        member_file = read_member_file(file)
    except CsvFileError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    progress = (
        click.progressbar(length=len(member_file.rows), label="importing", file=sys.stderr)
        if sys.stderr.isatty()
        else nullcontext()
    )
    with progress as bar:
        result = import_members(
            runtime.db, member_file, community=community, now=clock.now(), on_row=(lambda: bar.update(1)) if bar else None
        )
    for problem in result.problems:
        click.echo(problem, err=True)
    click.echo(f"{result.imported} imported, {result.skipped} skipped", err=bool(result.skipped))
    sys.exit(1 if result.skipped else 0)
