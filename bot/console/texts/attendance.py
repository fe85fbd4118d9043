"""The words of the console's attendance page."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
}
