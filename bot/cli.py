"""The ``ungebot`` command (also available as ``flask --app app ...``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bot.api.commands import members, tokens
from bot.command_runtime import command_runtime, command_settings, echo_table, minute, ready_runtime, require_current_schema, require_current_schema_at
from bot.config import ConfigError
from bot.domain.staff import ROLES as STAFF_ROLES


@click.group()
def cli() -> None:
    """Ungebot: SMS and chat for young people, run by youth workers."""


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Web port (default: PORT, or 5000)")
@click.option("--chat/--no-chat", default=False, help="Talk to the bot in this terminal while it runs")
@click.option("--phone", default="+4512345678", show_default=True, help="The phone number you chat as")
def run(port: int | None, chat: bool, phone: str) -> None:
    """Start web, worker and scheduler together (for a laptop). Ctrl-C stops all of it."""
    from bot.runner import run_all

    runtime = command_runtime()
    sys.exit(run_all(runtime, port or runtime.settings.port, chat=chat, phone=phone))


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: PORT, or 5000)")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
def web(port: int | None, host: str, workers: int) -> None:
    """Serve the webhooks and API with gunicorn."""
    from bot.gunicorn import serve

    settings = command_settings()
    require_current_schema_at(settings.sqlalchemy_url)
    for name in ("case_private_key", "case_previous_private_key"):
        if getattr(settings, name):
            click.echo(f"warning: {name.upper()} is set for the web process; only workers need it (docs/privacy.md)", err=True)
    serve(host, port or settings.port, workers)


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
def worker(burst: bool) -> None:
    """Run an RQ worker that processes messages and sends replies."""
    from bot.jobs.worker import run_worker

    runtime = command_runtime()
    require_current_schema(runtime)
    run_worker(runtime, burst=burst)


@cli.command()
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes")
def scheduler(interval: float) -> None:
    """Queue what the database says is due: held messages, retries, timeouts."""
    from bot.jobs.scheduler import run_forever

    runtime = command_runtime()
    require_current_schema(runtime)
    run_forever(runtime, interval)


@cli.command()
def status() -> None:
    """Queues, live workers, the scheduler and the oldest due message; exit code 1 when something
    needs someone on call."""
    from bot.domain.operations import snapshot

    now = snapshot(ready_runtime())
    click.echo("queues:    " + " · ".join(f"{name} {length}" for name, length in now.queue_lengths.items()))
    click.echo(f"workers:   {len(now.workers)} alive" + (f" ({', '.join(now.workers)})" if now.workers else ""))
    click.echo("scheduler: " + ("no pass yet" if now.scheduler_age is None else f"last pass {now.scheduler_age:.1f} s ago"))
    click.echo("due:       " + (f"the oldest due message has waited {now.oldest_due_age:.0f} s" if now.oldest_due_age else "nothing waiting"))
    click.echo("outbox:    " + (" · ".join(f"{status} {count}" for status, count in sorted(now.outbound_by_status.items())) or "empty"))
    click.echo(f"received:  {now.inbound_unprocessed} not yet processed")
    click.echo(f"cases:     {now.cases_open} open, {now.cases_waiting} waiting, {now.cases_urgent} urgent")
    for trouble in now.troubles:
        click.echo(f"TROUBLE: {trouble}", err=True)
    sys.exit(1 if now.troubles else 0)


@cli.command()
@click.option("--phone", default="+4512345678", show_default=True, help="The phone number you chat as")
def chat(phone: str) -> None:
    """Talk to the bot in this terminal, as a young person's phone would."""
    from bot.chat import chat_loop

    runtime = command_runtime()
    require_current_schema(runtime)
    sys.exit(chat_loop(runtime, phone))


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    from bot.storage.migrate import SchemaState, schema_version, upgrade

    url = command_runtime().settings.sqlalchemy_url
    schema = schema_version(url)
    if schema.state is SchemaState.NEWER:
        # Alembic cannot step from a revision it has no script for; nothing here may touch that schema.
        raise click.ClickException(
            f"the database was migrated by a newer release (revision {schema.revision}; this release's newest is "
            f"{schema.head}): run `ungebot db upgrade` from the newer release (docs/operations.md#upgrades)"
        )
    upgrade(url)
    click.echo("database is up to date")


@cli.group()
def flows() -> None:
    """Check, test and describe flow files."""


def _flows_dir(directory: str | None) -> Path:
    if directory:
        return Path(directory)
    from bot.config import load_settings

    return Path(load_settings().flows_dir)


@flows.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def flows_check(directory: str | None) -> None:
    """Check every flow in DIRECTORY (default: FLOWS_DIR). Exit 1 on any error."""
    from bot.flows.check import summary
    from bot.flows.loader import load_flows

    folder = _flows_dir(directory)
    if not folder.is_dir():
        raise click.ClickException(f"{folder}: no such folder")
    result = load_flows(folder)
    for problem in result.problems:
        click.echo(str(problem), err=not problem.warning)
    if not result.files:
        click.echo(f"{folder}: no flow files (*.yaml) found", err=True)
        sys.exit(1)
    click.echo(summary(result), err=bool(result.errors))
    sys.exit(1 if result.errors else 0)


@flows.command("test")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--flows", "flows_directory", type=click.Path(file_okay=False), help="Flows to test (default: FLOWS_DIR)")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document at the end (for the console)")
def flows_test(directory: str | None, flows_directory: str | None, as_json: bool) -> None:
    """Run the conversation transcripts in DIRECTORY (default: FLOWS_DIR/tests)."""
    from bot.transcripts import run_folder

    flows_dir = _flows_dir(flows_directory)
    folder = Path(directory) if directory else flows_dir / "tests"
    if not folder.is_dir():
        raise click.ClickException(f"{folder}: no such folder")
    report = run_folder(folder, flows_dir, echo=(lambda _line: None) if as_json else click.echo)
    if as_json:
        click.echo(report.to_json())
    sys.exit(0 if report.ok else 1)


@flows.command("schema")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of printing")
def flows_schema(output: str | None) -> None:
    """Print the JSON Schema of the flow format (for editors)."""
    import json

    from bot.flows.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@cli.group()
def cases() -> None:
    """Anonymous counselling: keys and retention (see docs/privacy.md)."""


@cases.command("keys")
def cases_keys() -> None:
    """Print a new set of keys for anonymous cases, as lines for the environment.

    Give CASE_HASH_KEY and CASE_PUBLIC_KEY to every process; CASE_PRIVATE_KEY to the workers only.
    """
    from bot.domain.cases.identity import new_key_set

    for name, value in new_key_set().items():
        click.echo(f"{name}={value}")


@cases.command("rekey")
def cases_rekey() -> None:
    """Move every anonymous case's stored hash and sealed address to the current CASE_* keys.

    The last step of a rotation (docs/operations.md): run it on a worker's host with the new keys
    and CASE_PREVIOUS_HASH_KEY / CASE_PREVIOUS_PRIVATE_KEY set. It can run again at any time.
    """
    from bot.domain.cases.identity import CaseKeyMissing
    from bot.domain.cases.rekey import rekey

    runtime = command_runtime()
    require_current_schema(runtime)
    try:
        results = rekey(runtime)
    except CaseKeyMissing as missing:
        raise click.ClickException(str(missing)) from None
    for name, result in results.items():
        click.echo(f"{name}: {result.changed} moved to the current keys, {result.current} already there, {result.unreadable} left")
    if any(result.unreadable for result in results.values()):
        raise click.ClickException(
            "some rows open with neither key (or would make a second open case): keep CASE_PREVIOUS_* set and see docs/operations.md"
        )


@cases.command("purge")
def cases_purge() -> None:
    """Delete anonymous cases older than CASE_RETENTION_DAYS now (the scheduler does it every 10 minutes)."""
    from bot.core import clock
    from bot.domain.cases.upkeep import purge

    runtime = command_runtime()
    require_current_schema(runtime)
    deleted = purge(runtime, clock.now())
    click.echo(f"{deleted} case(s) deleted")


@cli.group()
def users() -> None:
    """Accounts for the staff console."""


@users.command("add")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(STAFF_ROLES),
    help="staff: their communities; counsellor: anonymous cases; admin: everything but cases (these two with a second factor)",
)
@click.option("--community", "communities", multiple=True, metavar="SLUG", help="A community a staff user works in (repeat for more)")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input instead of asking")
@click.option("--sso-only", is_flag=True, help="No password: they sign in with the municipality's account (OIDC_ISSUER)")
def users_add(email: str, role: str, communities: tuple[str, ...], password_stdin: bool, sso_only: bool) -> None:
    """Give EMAIL an account for the staff console, with a password (or, --sso-only, none)."""
    from bot.core import clock
    from bot.domain.staff.accounts import AccountError, add_user

    runtime = ready_runtime()
    _only_known_communities(runtime, communities)
    if sso_only:
        if not runtime.settings.oidc_issuer:
            raise click.ClickException("--sso-only needs single sign-on: set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        with runtime.db.session() as session:
            user = add_user(session, email=email, role=role, communities=communities, password=password, now=clock.now())
            added = f"{user.email} added as {user.role}"
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(added)


@users.command("list")
def users_list() -> None:
    """The accounts: role, communities, second factor, disabled, last sign-in (never a password)."""
    from bot.domain.staff.accounts import list_users

    runtime = ready_runtime()
    zone = runtime.settings.zone
    with runtime.db.session() as session:
        rows = [
            (
                user.email, user.role, ",".join(user.communities) or "-", "yes" if user.totp_enrolled_at else "no",
                minute(user.disabled_at, zone), minute(user.last_sign_in_at, zone),
            )
            for user in list_users(session)
        ]
    headings = ("EMAIL", "ROLE", "COMMUNITIES", "2FA", "DISABLED", "LAST SIGN-IN")
    echo_table(headings, rows, when_empty="no users; add one with `ungebot users add EMAIL --role admin`")


@users.command("communities")
@click.argument("email")
@click.argument("communities", nargs=-1, required=True, metavar="SLUG...")
def users_communities(email: str, communities: tuple[str, ...]) -> None:
    """Set the communities staff user EMAIL works in (all of them: the list replaces the old one)."""
    from bot.core import clock
    from bot.domain.staff.accounts import AccountError, set_communities

    runtime = ready_runtime()
    _only_known_communities(runtime, communities)
    try:
        with runtime.db.session() as session:
            user = set_communities(session, email, communities, clock.now())
            done = f"{user.email} works in {', '.join(user.communities)}"
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(done)


def _only_known_communities(runtime, communities: tuple[str, ...]) -> None:
    from bot.domain.communities.members import known_communities

    known = known_communities(runtime)
    for slug in communities:
        if slug not in known:
            raise click.ClickException(f"no community {slug!r} (known: {', '.join(sorted(known)) or 'none'})")


@users.command("disable")
@click.argument("email")
def users_disable(email: str) -> None:
    """Stop EMAIL from signing in, at once: their open sessions end."""
    from bot.core import clock
    from bot.domain.staff.accounts import AccountError, disable_user

    runtime = ready_runtime()
    try:
        with runtime.db.session() as session:
            disabled = disable_user(session, email, clock.now()).email
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{disabled} is disabled and signed out")


@users.command("reset-2fa")
@click.argument("email")
def users_reset_2fa(email: str) -> None:
    """Forget EMAIL's second factor (a lost phone): they set up a new one at their next sign-in."""
    from bot.core import clock
    from bot.domain.staff.accounts import AccountError, reset_second_factor

    runtime = ready_runtime()
    try:
        with runtime.db.session() as session:
            reset = reset_second_factor(session, email, clock.now()).email
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{reset} is signed out and sets up a new second factor at the next sign-in")


cli.add_command(tokens)
cli.add_command(members)


def main() -> None:
    os.environ.setdefault("TZ", "UTC")
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"ungebot: configuration error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
