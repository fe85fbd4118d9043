"""The flows a mood check-in brings: the answer to its question, and PAUSE / FORTSÆT / SLUT TJEK."""
from __future__ import annotations

from bot.flows.model import Flow
from bot.flows.mood_settings import MoodCheckin


def mood_reply_flow_name(slug: str) -> str:
    return f"{slug}.svar"


def mood_reply_flow(slug: str, mood: MoodCheckin) -> Flow:
    step = {"mood": slug, "ask_again": mood.ask_again, "thanks": mood.thanks}
    if mood.follow_up is not None:
        step["follow_up"] = mood.follow_up
    return Flow.model_validate({"name": f"Svar på {mood.name}", "expires_after": "2d", "steps": {"svar": step}})


def mood_checkins_flows() -> dict[str, Flow]:
    keywords = {
        "pause": {"da": ["PAUSE"], "en": ["PAUSE CHECKINS"]},
        "resume": {"da": ["FORTSÆT", "FORTSAET"], "en": ["RESUME"]},
        "stop": {"da": ["SLUT TJEK", "STOP TJEK"], "en": ["STOP CHECKINS"]},
    }
    return {
        f"humør.{does}": Flow.model_validate(
            {"name": f"Humør-tjek: {does}", "triggers": words, "steps": {does: {"mood_checkins": does}}}
        )
        for does, words in keywords.items()
    }
