"""NotifyStaff: a note for staff (read in the API) and a text to the staff a flow names."""
from __future__ import annotations

from bot.effects import Effects, handles
from bot.engine.actions import NotifyStaff
from bot.models import StaffNotification
from bot.outbox import add_staff_messages


@handles(NotifyStaff)
def notify_staff(action: NotifyStaff, effects: Effects) -> None:
    effects.session.add(StaffNotification(contact_id=effects.contact.id, flow=action.flow, text=action.text, created_at=effects.now))
    effects.created.extend(add_staff_messages(effects.session, list(action.to), action.text, send_after=effects.now, now=effects.now))
