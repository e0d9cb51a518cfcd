"""A benchmark's report: lines printed as they come and, with --out, written to a file at the end."""

from __future__ import annotations

from pathlib import Path


class Report(list):
    def say(self, text: str) -> None:
        print(text, flush=True)
        self.append(text)

    def write(self, out: str | None) -> None:
        if out:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text("\n".join(self) + "\n")
