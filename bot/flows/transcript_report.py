"""What ``ungebot flows test`` found: each transcript passed, or where the bot's answer differed.

The runner (``bot.transcripts``) makes the report and prints its lines; ``--json`` hands the same
report to the console's flows page, which runs the command in a process of its own and shows it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TranscriptResult:
    file: str  # the transcript file's name: demo.yaml
    name: str | None  # the transcript's; None when the file could not be read
    failures: tuple[str, ...] = ()  # "path:line: what the bot did instead", in order

    @property
    def passed(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        """As the command prints it."""
        if self.name is None:
            return [f"✗ {self.file}", *(f"  {failure}" for failure in self.failures)]
        return [f"{'✓' if self.passed else '✗'} {self.file}: {self.name}", *(f"  {failure}" for failure in self.failures)]


@dataclass
class TranscriptReport:
    flow_problems: list[str] = field(default_factory=list)  # what is wrong with the flows tested ("path:line: message")
    results: list[TranscriptResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        """Every transcript passed, and there was at least one."""
        return self.failed == 0 and self.passed > 0

    def summary(self) -> str:
        return f"{self.passed} passed, {self.failed} failed"

    def to_json(self) -> str:
        results = [{"file": result.file, "name": result.name, "failures": list(result.failures)} for result in self.results]
        return json.dumps({"flow_problems": self.flow_problems, "results": results}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> TranscriptReport:
        """The report ``to_json`` wrote; ValueError for anything else."""
        try:
            data = json.loads(text)
            return cls(
                [str(problem) for problem in data["flow_problems"]],
                [
                    TranscriptResult(str(item["file"]), None if item["name"] is None else str(item["name"]), tuple(map(str, item["failures"])))
                    for item in data["results"]
                ],
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a transcript report: {exc}") from None
