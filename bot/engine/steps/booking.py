from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from bot.core import textmatch
from bot.engine import actions
from bot.engine.booking_texts import booking_text, either, when
from bot.engine.steps.base import End, StepBase, Transition, Wait, register
from bot.engine.time_choice import declines, named_time, names_a_time, pick

if TYPE_CHECKING:
    from bot.engine.context import Context

# Where a booking conversation stands (ctx.data["stage"]).
LOOKING = "looking"  # waiting for the edge's look-up
CHOOSING_COMMUNITY = "community"
CHOOSING_TIME = "time"
CHOOSING_BOOKING = "which"  # which of their bookings to cancel or move
CONFIRMING_CANCEL = "confirm"
BOOKING = "booking"  # waiting for the edge to book
CANCELLING = "cancelling"  # waiting for the edge to cancel
# Two gentle re-asks; the third misunderstanding goes to a person, as in an ask step.
MAX_MISSES = 2


@register("booking")
class BookingStep(StepBase):
    """BOOK, AFLYS and FLYT for communities with bookable times (the bot makes these flows itself).

    The step only talks: the domain (``bot.domain.bookings.bookings``) looks up free times, books and cancels, and
    answers with ``BookingFacts``. Whether a seat is free is decided by the database when the
    young person picks, never by the list they were shown.
    """

    waits = True

    booking: Literal["book", "cancel", "move"] = Field(description="What the keyword does: book a time, cancel one, or move one")

    def enter(self, ctx: Context) -> Transition:
        ctx.data.update(stage=LOOKING, misses=0)
        ctx.look_up_times(None)
        return Wait(None)

    # The edge's answers ---------------------------------------------------------------------

    def learn(self, ctx: Context, facts: actions.BookingFacts | actions.LinkFacts) -> Transition | None:
        # The edge answers the step's own LookUpTimes, BookTime and CancelBooking, always with BookingFacts.
        assert isinstance(facts, actions.BookingFacts)
        ctx.data["names"] = {c.slug: c.display_name for c in facts.communities}
        stage = ctx.data.get("stage")
        if stage == LOOKING:
            return self._looked_up(ctx, facts)
        if stage == BOOKING:
            return self._after_booking(ctx, facts)
        if stage == CANCELLING:
            if facts.result == "cancelled" and facts.subject is not None:
                _say(ctx, "cancelled", name=_name(ctx, facts.subject.community), when=_when(ctx, facts.subject, with_end=False))
            else:
                _say(ctx, "already_cancelled")
            return End()
        return None

    def _looked_up(self, ctx: Context, facts: actions.BookingFacts) -> Transition:
        if self.booking == "book":
            return self._offer_to_book(ctx, facts)
        replacing = ctx.data.get("replacing")
        if replacing is not None:  # FLYT: the times of the booking's own community, just looked up
            return self._offer_move(ctx, facts, _booked(replacing))
        if not facts.bookings:
            _say(ctx, "no_bookings" if self.booking == "cancel" else "nothing_to_move")
            return End()
        if len(facts.bookings) > 1:
            ctx.data.update(stage=CHOOSING_BOOKING, bookings=[_stored(b) for b in facts.bookings], misses=0)
            several = len({b.community for b in facts.bookings}) > 1
            labels = [_when(ctx, b) + (f" ({_name(ctx, b.community)})" if several else "") for b in facts.bookings]
            _ask(ctx, "which_to_cancel" if self.booking == "cancel" else "which_to_move", labels)
            return Wait(None)
        return self._chosen(ctx, facts.bookings[0], facts)

    def _chosen(self, ctx: Context, booked: actions.BookedTime, facts: actions.BookingFacts | None) -> Transition:
        if self.booking == "cancel":
            ctx.data.update(stage=CONFIRMING_CANCEL, target=_stored(booked), misses=0)
            _ask(ctx, "confirm_cancel", name=_name(ctx, booked.community), when=_when(ctx, booked))
            return Wait(None)
        ctx.data["replacing"] = _stored(booked)
        if facts is not None and facts.community == booked.community:
            return self._offer_move(ctx, facts, booked)
        ctx.data["stage"] = LOOKING
        ctx.look_up_times(booked.community)
        return Wait(None)

    def _offer_to_book(self, ctx: Context, facts: actions.BookingFacts) -> Transition:
        joinable = [c for c in facts.communities if not c.member]
        if not facts.communities:  # a flow of staff's own, with no community offering times
            _say(ctx, "nothing_bookable")
            return End()
        if not any(c.member for c in facts.communities):
            _say(
                ctx, "join_first",
                names=either([c.display_name for c in joinable], ctx.language),
                keywords=either([c.keyword.upper() for c in joinable], ctx.language),
            )
            return End()
        if facts.community is None:  # a member of more than one: which first
            choices = [c.slug for c in facts.communities if c.member]
            ctx.data.update(stage=CHOOSING_COMMUNITY, choices=choices, misses=0)
            _ask(ctx, "which_community", [_name(ctx, slug) for slug in choices])
            return Wait(None)
        return self._offer(ctx, facts, "offer", "none_free")

    def _offer_move(self, ctx: Context, facts: actions.BookingFacts, booked: actions.BookedTime) -> Transition:
        return self._offer(ctx, facts, "move_offer", "nothing_to_move_to", when=_when(ctx, booked))

    def _offer(self, ctx: Context, facts: actions.BookingFacts, intro: str, none_left: str, **fields: str) -> Transition:
        if facts.community is None:  # no longer a member (or of several, none chosen yet)
            return self._offer_to_book(ctx, facts)
        name = _name(ctx, facts.community)
        if not facts.free:
            _say(ctx, none_left, name=name, **fields)
            return End()
        ctx.data.update(
            stage=CHOOSING_TIME, community=facts.community, misses=0,
            offered=[[start.isoformat(), end.isoformat()] for start, end in facts.free],
        )
        _ask(ctx, intro, [when(start, ctx.zone, ctx.language) for start, _ in facts.free], name=name, **fields)
        return Wait(None)

    def _after_booking(self, ctx: Context, facts: actions.BookingFacts) -> Transition:
        subject = facts.subject
        if facts.result in ("booked", "moved", "already") and subject is not None:
            _say(ctx, facts.result, name=_name(ctx, subject.community), when=_when(ctx, subject, with_end=True))
            return End()
        if facts.result == "taken":
            return self._offer(ctx, facts, "taken", "taken_none_left")
        return self._offer(ctx, facts, "gone", "none_free")

    # The young person's answers --------------------------------------------------------------

    def claims(self, ctx: Context, text: str) -> bool:
        if ctx.data.get("stage") == CHOOSING_TIME:
            return names_a_time(text, len(ctx.data["offered"]), _today(ctx))
        if ctx.data.get("stage") == CHOOSING_BOOKING:
            return names_a_time(text, len(ctx.data["bookings"]), _today(ctx))
        return False

    def resume(self, ctx: Context, text: str) -> Transition:
        stage = ctx.data.get("stage")
        if stage == CHOOSING_TIME:
            return self._time_chosen(ctx, text)
        if stage == CHOOSING_COMMUNITY:
            choices = ctx.data["choices"]
            index = textmatch.match_choice(text, [[_name(ctx, slug), slug] for slug in choices])
            if index is None:
                return _missed(ctx)
            ctx.data["stage"] = LOOKING
            ctx.look_up_times(choices[index])
            return Wait(None)
        if stage == CONFIRMING_CANCEL:
            target = _booked(ctx.data["target"])
            answer = textmatch.classify(text, textmatch.YES_NO)
            if answer == "yes":
                ctx.data["stage"] = CANCELLING
                ctx.cancel_booking(target.id)
                return Wait(None)
            if answer == "no":
                _say(ctx, "kept", when=_when(ctx, target))
                return End()
            return _missed(ctx)
        if stage == CHOOSING_BOOKING:
            bookings = [_booked(b) for b in ctx.data["bookings"]]
            index = pick(text, [b.starts_at.astimezone(ctx.zone) for b in bookings], _today(ctx))
            if index is None:
                return _missed(ctx)
            if self.booking == "cancel":  # picking it from the list is the confirmation
                ctx.data["stage"] = CANCELLING
                ctx.cancel_booking(bookings[index].id)
                return Wait(None)
            return self._chosen(ctx, bookings[index], None)
        return End()  # waiting for the edge, which answers in the same job: nothing to add

    def _time_chosen(self, ctx: Context, text: str) -> Transition:
        replacing = ctx.data.get("replacing")
        offered = [(datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in ctx.data["offered"]]
        index = pick(text, [start.astimezone(ctx.zone) for start, _ in offered], _today(ctx))
        wanted = offered[index][0] if index is not None else named_time(text, _today(ctx), ctx.zone)
        if wanted is None:
            if declines(text):
                if replacing is not None:
                    _say(ctx, "kept", when=_when(ctx, _booked(replacing)))
                else:
                    _say(ctx, "no_time_then")
                return End()
            return _missed(ctx)
        # A time not on the list ("onsdag kl. 16") is tried too: the edge knows whether it exists.
        ctx.data["stage"] = BOOKING
        ctx.book_time(ctx.data["community"], wanted, replacing[0] if replacing else None)
        return Wait(None)


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.zone).date()


def _name(ctx: Context, slug: str | None) -> str:
    return ctx.data.get("names", {}).get(slug) or slug or ""


def _when(ctx: Context, booked: actions.BookedTime, with_end: bool = False) -> str:
    return when(booked.starts_at, ctx.zone, ctx.language, booked.ends_at if with_end else None)


def _stored(booked: actions.BookedTime) -> list[Any]:
    """As conversation data (JSON)."""
    return [booked.id, booked.community, booked.starts_at.isoformat(), booked.ends_at.isoformat()]


def _booked(stored: list[Any]) -> actions.BookedTime:
    booking_id, community, starts_at, ends_at = stored
    return actions.BookedTime(booking_id, community, datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at))


def _say(ctx: Context, key: str, **fields: str) -> None:
    ctx.actions.append(actions.SendText(booking_text(key, ctx.language, **fields)))


def _ask(ctx: Context, key: str, choices: list[str] | None = None, **fields: str) -> None:
    """Say a question, and keep it for asking again after an answer that was not understood."""
    text = booking_text(key, ctx.language, **fields)
    ctx.data["question"] = [text, choices or []]
    ctx.actions.append(actions.SendText(text, tuple(choices or ())))


def _missed(ctx: Context) -> Transition:
    ctx.data["misses"] = ctx.data.get("misses", 0) + 1
    if ctx.data["misses"] > MAX_MISSES:
        ctx.hand_to_staff()
        return End()
    text, choices = ctx.data["question"]
    ctx.actions.append(actions.SendText(f"{ctx.system_text('not_understood')} {text}", tuple(choices)))
    return Wait(None)
