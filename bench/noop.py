"""Jobs the benchmarks run through real workers."""


def send_floor(first: int, count: int) -> None:
    """The floor for a batch of reminders: as many sends through the same sender, to as many
    recipients, with no database (nothing rendered, claimed or recorded)."""
    from bot import channels
    from bot.jobs.sending import Claimed
    from bot.runtime import get_runtime

    sender = channels.sender_for("sms", get_runtime().settings)
    for number in range(first, first + count):
        sender.send(Claimed(number, "sms", f"+4599{number:06d}", "Hej! Caféen har åbent i morgen kl. 16.00. Kommer du?", "automatic", None, 1))


def warm_up(barrier: str, workers: int) -> None:
    """What a worker that has been running since morning has already done: imports, flows, a connection.

    Waits (up to 10 s) until ``workers`` copies run at once, so every worker gets one.
    """
    import time

    from bot.channels.twilio_sms import TwilioSmsSender  # noqa: F401  (the Twilio SDK import is the slow one)
    from bot.jobs.reminders import send_batch
    from bot.jobs.sending import send_many
    from bot.runtime import get_runtime

    runtime = get_runtime()
    runtime.flows.current()
    send_batch([])
    send_many([])
    if not runtime.db.is_sqlite:
        runtime.db.autocommit_engine.connect().close()  # the sends' own connection, as after the first batch
    runtime.redis.incr(barrier)
    runtime.redis.expire(barrier, 60)
    deadline = time.monotonic() + 10
    while int(runtime.redis.get(barrier) or 0) < workers and time.monotonic() < deadline:
        time.sleep(0.02)
