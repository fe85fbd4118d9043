"""Logging that keeps personal data out.

Code logs ids, never numbers or message text; this filter is the second line of defence and
masks anything that looks like a phone number before a line is written.
"""
from __future__ import annotations

import logging
import re

# +45 20 12 34 56, 004520123456, 20123456, 20 12 34 56, 2012 3456 (but not 2026-11-23 or ids).
PHONE_LIKE = re.compile(
    r"(?<![\w+-])(?:(?:\+|00)\d{1,3}[\s-]?)?(?:\d{8}|\d{2}(?:\s\d{2}){3}|\d{4}\s\d{4})(?![\w-])"
    r"|\+\d[\d\s-]{6,16}\d"
)


class RedactPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = PHONE_LIKE.sub("[number]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactPhoneNumbers())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug logs each request line with its query string; our webhooks carry none, but keep it quiet.
    logging.getLogger("werkzeug").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # urllib3 logs each request's path at DEBUG: a case's MMS fetched from Twilio has a message sid in it.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
