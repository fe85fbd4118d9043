"""The flows a running process serves, re-read when a file changes.

An edit that breaks a file is reported and the file's last good version keeps serving.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from bot.flows.flowset import FlowSet
from bot.flows.loader import LoadedFile, LoadResult, flow_files, load_flows

log = logging.getLogger(__name__)

FIRST_LOADS_KEPT = 16
_FIRST_LOADS: dict[tuple, LoadResult] = {}


class FlowRegistry:
    def __init__(self, directory: Path, check_every: float = 1.0):
        self.directory = Path(directory)
        self.check_every = check_every
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._good_files: dict[str, LoadedFile] = {}
        self._flowset = FlowSet()
        self.last_result: LoadResult | None = None
        self._reload_if_changed(force=True)

    def current(self) -> FlowSet:
        if time.monotonic() - self._checked_at >= self.check_every:
            self._reload_if_changed()
        return self._flowset

    def _signature_now(self) -> tuple:
        entries = []
        for path in flow_files(self.directory):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def _load(self, signature: tuple) -> LoadResult:
        """A folder as it is: the same for every registry that starts on it unchanged (each web
        process, each test), so it is read once per process. Later edits fall back on this
        registry's own last good files, so they are read here."""
        if self._good_files:
            return load_flows(self.directory, fallback=self._good_files)
        key = (self.directory.resolve(), signature)
        result = _FIRST_LOADS.get(key)
        if result is None:
            result = load_flows(self.directory)
            if len(_FIRST_LOADS) >= FIRST_LOADS_KEPT:
                _FIRST_LOADS.pop(next(iter(_FIRST_LOADS)))
            _FIRST_LOADS[key] = result
        return result

    def _reload_if_changed(self, force: bool = False) -> None:
        with self._lock:
            self._checked_at = time.monotonic()
            signature = self._signature_now()
            if not force and signature == self._signature:
                return
            self._signature = signature
            result = self._load(signature)
            self.last_result = result
            self._good_files = {name: f for name, f in result.files.items() if f.valid}
            self._flowset = result.flowset
        for problem in result.problems:
            (log.warning if problem.warning else log.error)("flows: %s", problem)
        log.info("flows loaded from %s: %s", self.directory, ", ".join(sorted(result.flowset.flows)) or "none")
