"""SaveField: what the young person told a flow (their name, language, or a field of its own)."""
from __future__ import annotations

from bot.engine.actions import SaveField
from bot.jobs.effects import Effects, handles


@handles(SaveField)
def save_field(action: SaveField, effects: Effects) -> None:
    contact = effects.contact
    if action.field == "name":
        contact.name = action.value[:100]
    elif action.field == "language":
        contact.language = action.value
    else:
        # A new dict, so SQLAlchemy sees the JSON column change.
        contact.fields = {**(contact.fields or {}), action.field: action.value}
