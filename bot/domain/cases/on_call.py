"""Telling the on-call counsellor that an anonymous case needs a person now."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.outbox import add_staff_messages
from bot.flows.counselling import Counselling
from bot.storage.models import Case

log = logging.getLogger(__name__)


def alert_on_call(session: Session, service: Counselling, case: Case, reason: str, now: datetime, **variables) -> list:
    phones = [person.phone for person in service.on_call if person.phone]
    if not phones:
        log.warning("anonymous case %s needs the on-call counsellor, but nobody on call has a phone", case.alias)
    log.info("anonymous case %s: on-call counsellor alerted (%s)", case.alias, reason)
    return add_staff_messages(session, phones, service.alert(reason, alias=case.alias, **variables), send_after=now, now=now)
