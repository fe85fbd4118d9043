"""A WSGI app served on 127.0.0.1 in a thread: the base of the provider stand-ins, and a way to
serve the bot itself to a real browser."""
from __future__ import annotations

import contextlib
import copy
import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


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
        self._stopping = threading.Event()  # scripted delays end on it
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


class _Drop:
    """Marker: the message was accepted; close the connection instead of answering."""


DROP = _Drop()


class ScriptedFaults:
    """What a test scripted a provider to do to its next correct requests: be slow, fail, or take
    the message and hang up. A failure is whatever the stand-in answers it with (each provider
    words its errors its own way); this keeps only the order."""

    def __init__(self, stopping: threading.Event):
        self._lock = threading.Lock()
        self._stopping = stopping
        self._failures: deque[Any] = deque()
        self._delays: deque[float] = deque()
        self._drops = 0

    def fail(self, failure: Any, times: int = 1, after: int = 0) -> None:
        """Answer ``times`` requests with ``failure``, once ``after`` more have gone through."""
        with self._lock:
            self._failures.extend([None] * after + [failure] * times)

    def delay(self, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._delays.extend([float(seconds)] * times)

    def drop(self, times: int = 1) -> None:
        with self._lock:
            self._drops += times

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._delays.clear()
            self._drops = 0

    def take(self) -> tuple[Any, bool]:
        """This request's fault: waits out its delay, then returns the failure to answer with
        (None: none) and whether to hang up once the message is taken."""
        with self._lock:
            delay = self._delays.popleft() if self._delays else 0.0
            failure = self._failures.popleft() if self._failures else None
            drop = failure is None and self._drops > 0
            if drop:
                self._drops -= 1
        if delay:
            # A stopping server must not wait out a long scripted delay.
            self._stopping.wait(delay)
        return failure, drop


class ProviderStandin(LocalServer):
    """A provider's API on 127.0.0.1 (Twilio's, Meta's): what it was asked and took, what was
    wrong with the asking, and failures scripted by a test. Subclasses answer a request in
    ``_handle`` (a Response, or DROP) and say in ``_crashed`` what the provider answers to an
    error of its own."""

    def __init__(self, *, name: str):
        super().__init__(name=name)
        self._lock = threading.RLock()
        self._requests: list[dict] = []
        self._messages: list[dict] = []
        self._violations: list[str] = []
        self._faults = ScriptedFaults(self._stopping)

    @property
    def requests(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def messages(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._messages)

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    def take_violations(self) -> list[str]:
        """Return the violations so far and forget them (for tests that break the rules on purpose)."""
        with self._lock:
            taken, self._violations = self._violations, []
            return taken

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Make the next ``times`` correct requests wait ``seconds`` before answering (a slow provider)."""
        self._faults.delay(seconds, times)

    def drop_next(self, times: int = 1) -> None:
        """Take the next ``times`` messages, then close the connection without answering.

        The sender sees ``requests.exceptions.ConnectionError`` although the provider has the
        message: the crash window between "the provider took it" and "we recorded its id".
        """
        self._faults.drop(times)

    def reset(self) -> None:
        """Forget requests, messages, violations and scripted failures, delays and drops."""
        with self._lock:
            self._requests.clear()
            self._messages.clear()
            self._violations.clear()
            self._faults.clear()

    def _wsgi(self, environ: dict, start_response: Any):
        request = Request(environ)
        try:
            response = self._handle(request)
        except Exception as exc:  # noqa: BLE001 - a bug in the stand-in must fail the test, not hang it
            self._violate(None, f"{request.method} {request.path}: the {self._name} crashed: {exc!r}")
            response = self._crashed()
        if response is DROP:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            response = Response(b"", status=500)
        return response(environ, start_response)

    def _violate(self, record: dict | None, text: str) -> None:
        with self._lock:
            self._violations.append(text)
            if record is not None:
                record["violations"].append(text)
