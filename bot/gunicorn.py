"""gunicorn from Python, so ``ungebot web`` needs no separate config file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from bot.web import create_app

        return create_app()


def serve(host: str, port: int, workers: int) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "timeout": 30,
            # Twilio gives up after 15 s; a stuck request must not hold a worker past that.
            "graceful_timeout": 10,
            "accesslog": None,
        }
    ).run()
