"""Step types, one per module, each registered under the YAML key that names it."""
from bot.engine.localized import LocalizedText, Text
from bot.engine.steps import ask, attendance, booking, end, flow, go, join, link_phone, mood, mood_pause, notify, save, send, wait  # noqa: F401  (registers them)
from bot.engine.steps.base import STEP_TYPES, StepBase

__all__ = ["STEP_TYPES", "LocalizedText", "StepBase", "Text"]
