"""A plain, fast stand-in for Twilio's create-message call, for load measurements.

Unlike ``tests/support/twilio_standin.py`` it checks nothing against Twilio's OpenAPI spec (that
costs milliseconds per request): it answers ``POST .../Messages.json`` at once with Twilio's JSON
(201, a new ``SM...`` sid, status ``queued``) and counts who was sent what, so a benchmark can
prove "none twice, none lost". No per-sender rate: it takes whatever comes.

    python bench/standin.py [--port 0] [--delay SECONDS]

prints ``PORT <n>`` when it listens. ``GET /stats`` answers
``{"requests": n, "recipients": distinct, "max_per_recipient": m}``, ``GET /peak`` the most
requests within any one second, ``GET /recipients`` how often each recipient was sent to;
``GET /arrivals`` when each send arrived (``time.monotonic()``, comparable across processes on
Linux); ``GET /bodies`` what each recipient was sent, in the order it arrived, each as
``[arrival, body]`` (``bench/scale_out.py`` checks a young person's replies came in order);
``POST /reset`` forgets. For the fault suite (``bench/faults.py``): ``POST /fail?status=429&times=N``
answers the next N sends with Twilio's error instead (429/20429 or 500/20500; nothing is
created, nothing counted), ``POST /hang?seconds=S&times=N`` takes the next N sends (counted:
Twilio has them) but answers only after S seconds.
HTTP/1.1 keep-alive on asyncio, one process: a request costs it a few hundredths of a millisecond,
so the measurement is of Ungebot, not of the stand-in.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from email.utils import formatdate
from urllib.parse import parse_qs


class State:
    def __init__(self, delay: float = 0.0):
        self.recipients: Counter[str] = Counter()
        self.requests = 0
        self.delay = delay
        self.arrivals: list[float] = []
        self.bodies: defaultdict[str, list[tuple[float, str]]] = defaultdict(list)
        self.failures: list[int] = []
        self.hangs: list[float] = []

    def stats(self) -> dict:
        return {
            "requests": self.requests,
            "recipients": len(self.recipients),
            "max_per_recipient": max(self.recipients.values(), default=0),
        }

    def peak_per_second(self) -> int:
        """The most messages that arrived within any one second."""
        peak, first = 0, 0
        for last, moment in enumerate(self.arrivals):
            while moment - self.arrivals[first] >= 1.0:
                first += 1
            peak = max(peak, last - first + 1)
        return peak


def created(path: str, form: dict[str, list[str]], sid: str) -> dict:
    now = formatdate(usegmt=True)
    first = lambda name: form.get(name, [None])[0]  # noqa: E731
    return {
        "account_sid": path.split("/")[3] if path.count("/") >= 4 else None,
        "api_version": "2010-04-01",
        "body": first("Body") or "",
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": first("From"),
        "messaging_service_sid": first("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {},
        "to": first("To"),
        "uri": f"{path[:-5]}/{sid}.json",
    }


class Connection(asyncio.Protocol):
    def __init__(self, state: State):
        self.state = state
        self.buffer = b""
        self.transport = None
        self.busy = asyncio.Lock()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            method, path, _ = head[0].split(" ", 2)
            if method == "POST" and path.endswith("/Messages.json") and self.state.hangs:
                asyncio.get_running_loop().create_task(self._hang(self.state.hangs.pop(0), method, path, body))
            elif self.state.delay:
                asyncio.get_running_loop().create_task(self._later(method, path, body))
            else:
                self._answer(*self._handle(method, path, body))

    async def _later(self, method: str, path: str, body: bytes) -> None:
        async with self.busy:  # answers on one connection stay in order
            await asyncio.sleep(self.state.delay)
            self._answer(*self._handle(method, path, body))

    async def _hang(self, seconds: float, method: str, path: str, body: bytes) -> None:
        answer = self._create(path, body)  # taken now, as Twilio would have it
        async with self.busy:
            await asyncio.sleep(seconds)
            self._answer(*answer)

    def _handle(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        path, _, query = path.partition("?")
        arguments = {name: values[0] for name, values in parse_qs(query).items()}
        if method == "POST" and path == "/fail":
            self.state.failures.extend([int(arguments["status"])] * int(arguments.get("times", 1)))
            return 200, {}
        if method == "POST" and path == "/hang":
            self.state.hangs.extend([float(arguments["seconds"])] * int(arguments.get("times", 1)))
            return 200, {}
        if method == "GET" and path == "/recipients":
            return 200, dict(self.state.recipients)
        if method == "GET" and path == "/arrivals":
            return 200, {"arrivals": self.state.arrivals}
        if method == "GET" and path == "/bodies":
            return 200, self.state.bodies
        if method == "GET" and path == "/stats":
            return 200, self.state.stats()
        if method == "GET" and path == "/peak":
            return 200, {"peak_per_second": self.state.peak_per_second()}
        if method == "POST" and path == "/reset":
            self.state.recipients.clear()
            self.state.arrivals.clear()
            self.state.bodies.clear()
            self.state.failures.clear()
            self.state.hangs.clear()
            self.state.requests = 0
            return 200, {}
        if method == "POST" and path.endswith("/Messages.json") and self.state.failures:
            status = self.state.failures.pop(0)
            code = {429: 20429, 500: 20500}.get(status)
            return status, {"code": code, "message": "stand-in fault", "more_info": "", "status": status}
        if method == "POST" and path.endswith("/Messages.json"):
            return self._create(path, body)
        return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}

    def _create(self, path: str, body: bytes) -> tuple[int, dict]:
        form = parse_qs(body.decode())
        to = form.get("To", [""])[0]
        moment = time.monotonic()
        self.state.requests += 1
        self.state.recipients[to] += 1
        self.state.arrivals.append(moment)
        self.state.bodies[to].append((moment, form.get("Body", [""])[0]))
        return 201, created(path.partition("?")[0], form, "SM" + uuid.uuid4().hex)

    def _answer(self, status: int, payload: dict) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        body = json.dumps(payload).encode()
        reason = {200: "OK", 201: "CREATED", 404: "NOT FOUND", 429: "TOO MANY REQUESTS", 500: "INTERNAL SERVER ERROR"}[status]
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        )


async def serve(port: int, delay: float) -> None:
    state = State(delay)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(state), "127.0.0.1", port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.delay))
    sys.exit(0)


if __name__ == "__main__":
    main()
