"""A WSGI app served on 127.0.0.1 in a thread: the base of the provider stand-ins, and a way to
serve the bot itself to a real browser."""
from __future__ import annotations

import threading
from typing import Any, Callable

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log on stderr
        pass


class LocalServer:
    """``start()``/``stop()`` (or ``with``), and ``url`` while it runs. Serves ``app``, or the
    subclass's own ``_wsgi``."""

    def __init__(self, app: Callable | None = None, *, name: str = "local-server", host: str = "127.0.0.1"):
        self._app = app
        self._host = host
        self._name = name
        self._stopping = threading.Event()  # subclasses' delays end on it
        self._server = None
        self._thread: threading.Thread | None = None

    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        app = self._app or self._wsgi
        self._server = make_server(self._host, 0, app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://<host>:<port>``: also the server's origin."""
        if self._server is None:
            raise RuntimeError(f"the {self._name} is not running: call start() or use it as a context manager")
        return f"http://{self._host}:{self._server.server_port}"
