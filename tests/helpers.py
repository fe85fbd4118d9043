"""Small helpers shared by tests."""
from __future__ import annotations

from sqlalchemy import MetaData, select

from bot.jobs.worker import run_until_idle as drain  # noqa: F401  (re-exported for tests)
from bot.runtime import Runtime
from bot.storage.models import OutboundMessage


def lose_redis_data(runtime: Runtime) -> None:
    """What Redis restarting without persistence (or a FLUSHALL) does to ``runtime``'s queues,
    jobs and keys, and to nobody else's: other test processes may share the server."""
    for queue in runtime.queues:
        for job_id in queue.get_job_ids():
            runtime.redis.delete(f"rq:job:{job_id}")
    for key in runtime.redis.scan_iter(f"*{runtime.queue_prefix}*"):
        runtime.redis.delete(key)


def outbox(runtime: Runtime, **filters) -> list[OutboundMessage]:
    with runtime.db.session() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        for name, value in filters.items():
            query = query.where(getattr(OutboundMessage, name) == value)
        return list(session.scalars(query))

# A small community for tests that need one in a temporary FLOWS_DIR.
COMMUNITY_FILE = """community:
  name: Ungdomsklubben
  display_name: klubben
  keyword: KLUB
  schedule:
    - days: onsdag
      time: "18:00-21:00"
  reminder:
    text: Hej {{ name }}! Der er klub i dag. Kommer du?
"""

# A community with bookable times (like flows/gym.yaml), for tests in a temporary FLOWS_DIR.
BOOKABLE_COMMUNITY_FILE = """community:
  name: Træningsrummet
  display_name: træningen
  keyword: GYM
  staff:
    - name: Mikkel
  bookable:
    days: [mandag, onsdag]
    time: "15:00-20:00"
    slot: 1h
    at_once: 2
  reminder:
    text: Hej {{ name }}! Du har en tid i {{ community }} i dag kl. {{ start | time }}-{{ end | time }}. Kommer du?
"""


def database_dump(runtime) -> dict[str, str]:
    """Every value in every table, as text, per table."""
    metadata = MetaData()
    metadata.reflect(runtime.db.engine)
    dump = {}
    with runtime.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            dump[table.name] = "\n".join(" | ".join(str(value) for value in row) for row in rows)
    return dump
