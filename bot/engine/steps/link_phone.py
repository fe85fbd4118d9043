from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.engine import actions
from bot.engine.steps.base import End, StepBase, Transition, Wait, register

if TYPE_CHECKING:
    from bot.engine.context import Context

# Where it stands (ctx.data["stage"]).
ASKING_NUMBER = "number"
ASKING_CODE = "code"
WAITING = "edge"  # the edge is texting the code or checking it
# Two gentle re-asks; then the young person can start again with the keyword.
MAX_MISSES = 2


@register("link_phone")
class LinkPhoneStep(StepBase):
    """NUMMER: a young person on Instagram or the web chat gives a mobile number and proves it is
    theirs with a code sent to it by SMS; from then on the bot can reach them by SMS too.

    The step only talks: the domain (``bot.domain.contacts.linking``) checks the number, texts the code, checks
    the code and links the number, and answers with ``LinkFacts``.
    """

    waits = True

    link_phone: Literal[True] = Field(description="Ask for a mobile number and prove it with a code by SMS")

    def enter(self, ctx: Context) -> Transition:
        ctx.data.update(stage=ASKING_NUMBER, misses=0)
        ctx.say_system("link_ask_number")
        return Wait(None)

    def resume(self, ctx: Context, text: str) -> Transition:
        stage = ctx.data.get("stage")
        if stage == ASKING_NUMBER:
            ctx.send_link_code(text)
        elif stage == ASKING_CODE:
            ctx.check_link_code(text)
        ctx.data["stage"] = WAITING if stage in (ASKING_NUMBER, ASKING_CODE) else stage
        ctx.data["asked"] = stage
        return Wait(None)

    def learn(self, ctx: Context, facts: actions.BookingFacts | actions.LinkFacts) -> Transition:
        # The edge answers the step's own SendLinkCode and CheckLinkCode, always with LinkFacts.
        assert isinstance(facts, actions.LinkFacts)
        if facts.result == "sent":
            ctx.data.update(stage=ASKING_CODE, misses=0)
            ctx.say_system("link_code_sent", shown=facts.shown)
            return Wait(None)
        if facts.result in ("invalid", "wrong"):
            misses = ctx.data.get("misses", 0) + 1
            if misses > MAX_MISSES:
                ctx.say_system("link_gave_up")
                return End()
            ctx.data.update(stage=ctx.data.get("asked", ASKING_NUMBER), misses=misses)
            ctx.say_system(f"link_{facts.result}")
            return Wait(None)
        ctx.say_system(f"link_{facts.result}", shown=facts.shown)  # linked, known, refused, expired
        return End()
