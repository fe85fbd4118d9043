"""Flask entry point: ``gunicorn app:app``, or ``flask --app app <command>`` for the CLI."""
from bot.cli import cli
from bot.config import ConfigError
from bot.web import create_app

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"ungebot: configuration error: {exc}") from None
for command in cli.commands.values():
    app.cli.add_command(command)
