"""Flask entry point: ``gunicorn app:app`` or ``flask --app app run``."""
from bot.config import ConfigError
from bot.web import create_app

try:
    app = create_app()
except ConfigError as exc:
    raise SystemExit(f"ungebot: configuration error: {exc}") from None
