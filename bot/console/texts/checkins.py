"""The words of the console's checkins page."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
}
