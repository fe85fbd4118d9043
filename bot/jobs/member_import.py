"""The RQ job that imports a member file uploaded in the console, one chunk of rows per job
(``bot.domain.communities.csv_import``): each chunk queues the next at the back of the queue, so
whatever was queued meanwhile goes first."""
from __future__ import annotations

from bot.core import clock
from bot.domain import queueing
from bot.domain.communities.csv_import import import_next_chunk
from bot.runtime import get_runtime


def import_chunk(import_id: int) -> None:
    runtime = get_runtime()
    if import_next_chunk(runtime, import_id, clock.now()):
        runtime.enqueue([queueing.import_members(import_id)])
