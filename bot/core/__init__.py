"""Pure helpers every layer may use: the clock, phone numbers, Danish dates, schedules (rrule), quiet
hours, SMS segments and how a young person's words are matched. No I/O, nothing from ``bot``."""
