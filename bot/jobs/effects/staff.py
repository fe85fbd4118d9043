"""NotifyStaff: a note for staff (read in the API) and a text to the staff a flow names."""
from __future__ import annotations

from bot.domain.outbox import add_staff_messages
from bot.engine.actions import NotifyStaff
from bot.jobs.effects import Effects, handles
from bot.storage.models import StaffNotification


@handles(NotifyStaff)
def notify_staff(action: NotifyStaff, effects: Effects) -> None:
    effects.session.add(StaffNotification(contact_id=effects.contact.id, flow=action.flow, text=action.text, created_at=effects.now))
    effects.created.extend(add_staff_messages(effects.session, list(action.to), action.text, send_after=effects.now, now=effects.now))
