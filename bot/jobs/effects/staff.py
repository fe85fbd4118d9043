"""NotifyStaff: a note for staff (read in the API) and a text to the staff a flow names."""
from __future__ import annotations

from bot.domain.communities.members import communities_of
from bot.domain.outbox import add_staff_messages
from bot.engine.actions import NotifyStaff
from bot.jobs.effects import Effects, handles
from bot.storage.models import StaffNotification


@handles(NotifyStaff)
def notify_staff(action: NotifyStaff, effects: Effects) -> None:
    for flow in _filed_under(action.flow, effects):
        effects.session.add(StaffNotification(contact_id=effects.contact.id, flow=flow, text=action.text, created_at=effects.now))
    effects.created.extend(add_staff_messages(effects.session, list(action.to), action.text, send_after=effects.now, now=effects.now))


def _filed_under(flow: str | None, effects: Effects) -> list[str | None]:
    """Whose note it is (bot.domain.notifications): a community's flow's, that community's; a
    general flow's (the catch-all, words of danger), each of the young person's communities', so
    the staff who know them see it; an admin's when they belong to none."""
    communities = effects.runtime.flows.current().communities
    if flow is not None and flow.split(".")[0] in communities:
        return [flow]
    return [*communities_of(effects.session, effects.contact.id)] or [flow]

