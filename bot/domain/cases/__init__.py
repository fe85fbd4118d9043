"""Anonymous advice: a case per young person and alias, never a readable phone number; the
conversation before a counsellor answers, the inbox, replies, and what is overdue."""
