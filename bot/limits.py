"""How often someone may do something: a sliding window in Redis, counted per person or address.

Used by the web chat (young people's sessions and addresses) and the console's sign-in (per
account and per address). Addresses are counted by a keyed hash and never stored as they are.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import request
from redis.exceptions import RedisError

from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Where a proxy in front of us can be: loopback and the private ranges (RFC 1918, RFC 4193).
OUR_NETWORKS = tuple(
    ipaddress.ip_network(network) for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    per: timedelta = timedelta(minutes=1)


def over_limit(runtime: Runtime, limit: Limit, who: str) -> int | None:
    """Count one request by ``who``: None while ``limit`` allows it, else the seconds until it
    will (Retry-After). Without Redis, requests go through without their limits."""
    key = f"{runtime.queue_prefix}:limit:{limit.name}:{who}"
    window_ms = int(limit.per.total_seconds() * 1000)
    try:
        wait_ms = runtime.redis.register_script(_SLIDING_WINDOW)(keys=[key], args=[limit.count, window_ms, secrets.token_hex(8)])
    except RedisError as exc:
        log.warning("limits: Redis unavailable (%s); letting the request through", type(exc).__name__)
        return None
    return math.ceil(int(wait_ms) / 1000) if int(wait_ms) > 0 else None


def network_key(secret_key: str) -> str:
    """Who is calling, for counting only: the client's address never leaves this function."""
    return counting_key(secret_key, "ip", client_address())


def counting_key(secret_key: str, kind: str, value: str) -> str:
    """``value`` (an address, what someone typed as their email) as a key to count under, never
    written to Redis as it is."""
    return hmac.new(secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def client_address() -> str:
    """The address to count a request against. A peer on our own network (private or loopback)
    is our proxy, so the client is the last address in X-Forwarded-For that is not one of ours
    (Rails's default, too). From any other peer the header could be made up to dodge the limits."""
    address = request.remote_addr or ""
    for forwarded in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        if not _ours(address):
            break
        address = forwarded.strip() or address
    return address


def _ours(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in OUR_NETWORKS)


# KEYS[1]: the requests of the last window (a sorted set by time); ARGV: limit, window (ms), a
# unique member. Exactly "at most limit in any window", with Redis's clock for every web process.
# Returns 0 when the request counts, else the milliseconds until the oldest one leaves the window.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""
