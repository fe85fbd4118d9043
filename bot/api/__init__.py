"""The REST API for staff (``/api``): bearer tokens with roles, JSON in and out, OpenAPI 3.1.

``bot.api.routes`` has the blueprint with every route. This package itself loads nothing else,
so the command line (``bot.api.commands``) starts without the web side.
"""

# admin may do everything but counselling; staff runs communities (members, events, reminders,
# attendance); counsellor has the counselling routes (anonymous cases), and only it: not even
# admin may read a case (bot.api.auth.grants).
ROLES = ("admin", "staff", "counsellor")
