"""The people who sign in to the staff console (``accounts``): their accounts and passwords, the
second factor counsellors and admins must give, sessions kept on the server, and an audit of
sign-ins and account changes.

The roles are named here, importing nothing, so that the command line can offer them as choices
without loading the database.
"""

# staff: the communities they are given; counsellor: anonymous cases; admin: everything but cases.
ROLES = ("staff", "counsellor", "admin")
# Those who can read what young people wrote, or change who can, sign in with a second factor.
SECOND_FACTOR_ROLES = ("counsellor", "admin")
