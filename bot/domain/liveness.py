"""Who is alive, as Redis keeps it: each worker process's heartbeat (a key that expires unless
renewed, ``bot.jobs.liveness``) and when a scheduler last ended a pass. Read by the scheduler (to
queue again what a killed worker held), the metrics and ``ungebot status``.
"""
from __future__ import annotations

from bot.core import clock
from bot.runtime import Runtime


def workers_key(runtime: Runtime) -> str:
    return f"{runtime.queue_prefix}:workers"


def alive_key(runtime: Runtime, name: str) -> str:
    return f"{runtime.queue_prefix}:worker-alive:{name}"


def last_pass_key(runtime: Runtime) -> str:
    return f"{runtime.queue_prefix}:scheduler-last-pass"


def record_pass(runtime: Runtime) -> None:
    """When a pass last ended, whichever scheduler ran it: the monitoring's "is anyone scheduling?"."""
    runtime.redis.set(last_pass_key(runtime), f"{clock.now().timestamp():.3f}")


def last_pass_age(runtime: Runtime) -> float | None:
    """Seconds since a scheduler last ended a pass; None if none has (since Redis last started)."""
    value = runtime.redis.get(last_pass_key(runtime))
    return None if value is None else max(0.0, clock.now().timestamp() - float(value))


def _heartbeats(runtime: Runtime) -> list[tuple[str, bool]]:
    """Every worker process that said hello (host:pid), and whether its heartbeat is fresh."""
    known = sorted(name.decode() for name in runtime.redis.smembers(workers_key(runtime)))
    if not known:
        return []
    with runtime.redis.pipeline() as pipe:
        for name in known:
            pipe.exists(alive_key(runtime, name))
        alive = pipe.execute()
    return [(name, bool(answers)) for name, answers in zip(known, alive, strict=True)]


def workers_died(runtime: Runtime) -> list[str]:
    """Worker processes that stopped saying they are alive without saying goodbye (killed)."""
    dead = [name for name, alive in _heartbeats(runtime) if not alive]
    if dead:
        runtime.redis.srem(workers_key(runtime), *dead)
    return dead


def workers_alive(runtime: Runtime) -> list[str]:
    """The worker processes whose heartbeat is fresh (host:pid)."""
    return [name for name, alive in _heartbeats(runtime) if alive]
