"""What Ungebot does, in the database: communities and their day-of reminders, attendance, bookings,
mood check-ins, anonymous cases and the contacts behind them. Functions take a session (or the
runtime) and write rows; anything to send goes into the outbox (``bot.domain.outbox``) and is
queued after the commit. No HTTP, no provider calls: the jobs and the edges call in here."""
