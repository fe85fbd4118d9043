"""Message templates: ``Hej {{ name }}, vi ses {{ today | weekday }}``.

Jinja2 in a sandbox (staff write these, so a template can read values but not reach into
Python), with Babel for Danish and English dates.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Template, TemplateSyntaxError, meta, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

BUILT_IN_VARIABLES = frozenset({"name", "language", "today", "now", "answer"})


def _locale(context: Context) -> str:
    return "en" if context.get("language") == "en" else "da"


def _as_date(value: object) -> date | None:
    """Dates, and saved fields that hold one as text (2026-11-26)."""
    if isinstance(value, (date, datetime)):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


@pass_context
def _date(context: Context, value: object, format: str = "d. MMMM") -> str:
    value = _as_date(value)
    if value is None:
        return ""
    return format_date(value, format=format, locale=_locale(context))


@pass_context
def _weekday(context: Context, value: object) -> str:
    return _date(context, value, "EEEE")


@pass_context
def _time(context: Context, value: object, format: str = "HH:mm") -> str:
    value = _as_date(value)
    if not isinstance(value, datetime):
        return ""
    return format_time(value, format=format, locale=_locale(context))


_env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
_env.filters.update(date=_date, weekday=_weekday, time=_time)


@lru_cache(maxsize=4096)
def _compile(source: str) -> Template:
    template = _env.from_string(source)
    # Jinja keeps a template's globals as a ChainMap over the environment's, and copying that
    # into every render's context cost more than the rest of rendering one of our texts.
    # Nothing changes the environment's globals, so a plain copy of them serves.
    template.globals = dict(template.globals)
    return template


def variables_used(source: str) -> set[str]:
    """Names a template reads; raises TemplateSyntaxError for a broken template."""
    return meta.find_undeclared_variables(_env.parse(source))


def contact_variables(*, name: str | None, language: str, fields: dict[str, str], now: datetime, zone: ZoneInfo, answer: str = "") -> dict[str, object]:
    """What every template may use about the young person and the moment."""
    local_now = now.astimezone(zone)
    return {
        **fields,
        "name": name or "",
        "language": language,
        "today": local_now.date(),
        "now": local_now,
        "answer": answer,
    }


def render(source: str, variables: Mapping[str, object]) -> str:
    if "{" not in source:
        return source
    try:
        return _compile(source).render(variables).strip()
    except Exception as exc:  # noqa: BLE001 - a broken value must not stop a reply going out
        log.warning("template failed to render (%s); sending it without its placeholders", type(exc).__name__)
        return re.sub(r"\s*\{[{%].*?[%}]\}", "", source).strip()


__all__ = ["BUILT_IN_VARIABLES", "TemplateSyntaxError", "render", "variables_used"]
