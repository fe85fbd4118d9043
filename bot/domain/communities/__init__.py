"""Communities and their members: joining, leaving, CSV import, and the individual day-of reminders
planned for each event."""
