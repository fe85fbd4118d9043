"""Mood check-ins: a score, a note, a pause and its end."""
from __future__ import annotations

from bot.domain.mood import answers
from bot.engine.actions import PauseCheckins, RecordMood, RecordMoodNote, ResumeCheckins
from bot.jobs.effects import Effects, handles
from bot.jobs.effects.send import say


@handles(RecordMood)
def record_mood(action: RecordMood, effects: Effects) -> None:
    texts, staff = answers.record_score(effects.runtime, effects.session, effects.contact, action.prompt_id, action.score, action.said, effects.now)
    effects.created.extend(staff)
    say(effects, texts)


@handles(RecordMoodNote)
def record_mood_note(action: RecordMoodNote, effects: Effects) -> None:
    texts, staff = answers.record_note(effects.runtime, effects.session, effects.contact, action.prompt_id, action.text, effects.now)
    effects.created.extend(staff)
    say(effects, texts)


@handles(PauseCheckins)
def pause_checkins(action: PauseCheckins, effects: Effects) -> None:
    answers.set_pause(effects.contact, action.until, effects.now)


@handles(ResumeCheckins)
def resume_checkins(_action: ResumeCheckins, effects: Effects) -> None:
    answers.resume(effects.contact)
