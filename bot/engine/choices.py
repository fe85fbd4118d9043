"""How a question's choices look on each channel: pure, so the engine can preview a message.

SMS and the terminal show choices as a numbered list in the text; Instagram shows them as quick
replies and the web chat as buttons, so there the text stays as written and the choices travel
beside it (``OutboundMessage.choices``).
"""
from __future__ import annotations

# Channels that show choices as buttons, and how many they can show (Meta: 13 quick replies).
BUTTONS = {"instagram": 13, "webchat": 10}


def buttons(channel: str, choices: tuple[str, ...] | list[str]) -> list[str] | None:
    """The choices as buttons on ``channel``, or None when they belong in the text."""
    limit = BUTTONS.get(channel)
    if not choices or limit is None or len(choices) > limit:
        return None
    return list(choices)


def render(channel: str, text: str, choices: tuple[str, ...] | list[str]) -> str:
    """The message text on ``channel``: choices as a short numbered list, unless they are buttons."""
    if not choices or buttons(channel, choices) is not None:
        return text
    return text + "\n" + "\n".join(f"{number} {label}" for number, label in enumerate(choices, 1))
