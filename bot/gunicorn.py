"""gunicorn from Python, so ``ungebot web`` needs no separate config file.

Memory (``bench/memory.py`` measures each process; numbers from there, 2 workers of 4 threads):

- The app is loaded once, in the master, and the workers are forked from it with everything the
  app imported frozen out of the garbage collector's reach (``gc.freeze``): a collection in a
  worker would otherwise write to every object's header, and so copy every page it shares with
  the master. RSS counts a shared page in each process that maps it, so a worker's RSS hardly
  changes by this (and the master's grows by the app), but what the machine spends, the sum of
  the processes' PSS, falls by some 20 MiB with two workers and by 25 MiB more with each further
  worker.
- At most two malloc arenas. glibc gives each of a worker's threads an arena of its own, and each
  arena keeps the high-water mark of the largest page its thread built (a community's members,
  listed, are some 10 MiB for a moment): 5-7 MiB less per worker after the console's pages.
"""
from __future__ import annotations

import ctypes
import gc

from gunicorn.app.base import BaseApplication

M_ARENA_MAX = -8  # mallopt's parameter for the number of arenas (glibc's malloc.h)
MALLOC_ARENAS = 2


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from bot.web import create_app

        app = create_app()
        gc.collect()
        gc.freeze()  # in the master, before the fork: see above
        return app


def _fewer_malloc_arenas() -> None:
    """As MALLOC_ARENA_MAX=2 would, for this process and the workers it forks (glibc only)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return  # another C library (musl, macOS): its own allocator, nothing to set
    mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def serve(host: str, port: int, workers: int) -> None:
    _fewer_malloc_arenas()
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "timeout": 30,
            # Twilio gives up after 15 s; a stuck request must not hold a worker past that.
            "graceful_timeout": 10,
            "accesslog": None,
            "preload_app": True,
        }
    ).run()
