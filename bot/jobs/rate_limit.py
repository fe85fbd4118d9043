"""A per-sender send rate (``SEND_RATE`` messages per second), shared by every worker through Redis.

A token bucket per sender (the Twilio number or Messaging Service a message goes out from): it
fills at ``rate`` tokens a second up to ``burst`` (a tenth of a second's worth, at least one), and
every message takes one. Bulk messages wait for theirs; a direct reply takes its token at once,
even into debt, so the young person is never kept waiting, and the bulk messages after it wait
that much longer: on average the sender stays within the rate.

The bucket lives in one Redis hash per sender and is changed only by a Lua script, atomically,
with Redis's own clock, so any number of worker processes on any number of machines share it.
If Redis has no bucket for a sender (expired, flushed), it starts full: at most one burst extra.
"""
from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass

from redis import Redis

# KEYS[1] bucket; ARGV: rate (tokens/s), burst (tokens), force ("1": take even into debt).
# Returns {granted (0/1), seconds to wait before a token is there (string)}.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local force = ARGV[3] == '1'
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens, at = burst, now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
end
local granted, wait = 0, 0
if tokens >= 1 or force then
  tokens = tokens - 1
  granted = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 60000)
return {granted, string.format('%.6f', wait)}
"""


def default_burst(rate: float) -> float:
    """How many may go at once after a quiet spell: a tenth of a second's worth, at least one."""
    return max(1.0, rate / 10)


@dataclass(frozen=True)
class Take:
    granted: bool
    wait: float  # seconds until a token is there (0 when granted)


class RateLimiter:
    """``take(sender)``: one token from the sender's bucket now, or how long until there is one."""

    def __init__(self, redis: Redis, rate: float, *, prefix: str = "ungebot", burst: float | None = None):
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError("rate must be a positive number of messages per second")
        self.redis = redis
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else default_burst(rate))
        self.prefix = prefix
        self._script = redis.register_script(_TAKE)

    def key(self, sender: str) -> str:
        return f"{self.prefix}:rate:{sender}"

    def take(self, sender: str, *, force: bool = False) -> Take:
        """Take a token if there is one (or always, with ``force``); never waits."""
        granted, wait = self._script(keys=[self.key(sender)], args=[repr(self.rate), repr(self.burst), "1" if force else "0"])
        return Take(bool(int(granted)), float(wait))

    def acquire(self, sender: str, *, timeout: float | None = None, sleep=None) -> bool:
        """Wait for a token (at most ``timeout`` seconds); True when one was taken."""
        sleep = sleep or time.sleep
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            result = self.take(sender)
            if result.granted:
                return True
            if deadline is not None and time.monotonic() + result.wait > deadline:
                return False
            sleep(result.wait)


def limiter_for(runtime) -> RateLimiter | None:
    """The installation's limiter, or None when ``SEND_RATE`` is empty or 0 (no limit)."""
    rate = runtime.settings.send_rate
    if not rate:
        return None
    limiter = _limiters.get(runtime)
    if limiter is None:
        limiter = _limiters[runtime] = RateLimiter(runtime.redis, rate, prefix=runtime.queue_prefix)
    return limiter


_limiters: weakref.WeakKeyDictionary[object, RateLimiter] = weakref.WeakKeyDictionary()
