"""The last step of a key rotation: every stored sender hash and sealed address moved to the
current keys (docs/operations.md, "Rotating the CASE_* keys").

Runs where the private keys are (a worker's host), while the service runs: each row is changed
only if it still holds what was read, so a message arriving meanwhile is not overwritten.
"""
from __future__ import annotations

from dataclasses import dataclass

from nacl.exceptions import CryptoError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain.cases.identity import CaseKeyMissing, CaseKeys, keys_for
from bot.runtime import Runtime
from bot.storage.models import Case, OutboundMessage

BATCH = 500


@dataclass(frozen=True)
class Rekeyed:
    changed: int
    current: int  # already under the current keys
    unreadable: int  # neither private key opens it, or it would be a second open case of one sender


def rekey(runtime: Runtime) -> dict[str, Rekeyed]:
    keys = keys_for(runtime.settings)
    if keys.private_key is None:
        raise CaseKeyMissing("CASE_PRIVATE_KEY is not set in this process: run this where the workers run")
    return {
        "cases": _rekey_rows(runtime, keys, Case.id, Case.sealed_address, Case.sender_key),
        "messages": _rekey_rows(runtime, keys, OutboundMessage.id, OutboundMessage.sealed_to, OutboundMessage.recipient_key),
    }


def _rekey_rows(
    runtime: Runtime, keys: CaseKeys, id_column: InstrumentedAttribute, sealed_column: InstrumentedAttribute, key_column: InstrumentedAttribute
) -> Rekeyed:
    changed = current = unreadable = 0
    last_id = 0
    while True:
        with runtime.db.session() as session:
            rows = session.execute(
                select(id_column, sealed_column, key_column)
                .where(sealed_column.is_not(None), id_column > last_id)
                .order_by(id_column)
                .limit(BATCH)
            ).all()
            if not rows:
                return Rekeyed(changed, current, unreadable)
            for row_id, sealed, key in rows:
                try:
                    channel, address, sealed_now = keys.open_telling_key(sealed)
                except CryptoError:
                    unreadable += 1
                    continue
                new_key = keys.sender_key(channel, address)
                if sealed_now and key == new_key:
                    current += 1
                    continue
                try:
                    with session.begin_nested():
                        session.execute(
                            update(id_column.class_)
                            .where(id_column == row_id, sealed_column == sealed)
                            .values({sealed_column.key: keys.seal(channel, address), key_column.key: new_key})
                        )
                    changed += 1
                except IntegrityError:
                    unreadable += 1
            last_id = rows[-1][0]
