"""`make paper-replica`: the paper profile executed end to end on release replicas.

Builds the replicas (ddr.data.replicas), serves them from a local HTTP server on 127.0.0.1, writes a registry
pointing at it, places the registration/manual sets' archives where the README tells a user to put them, and runs
Snakemake with config/paper.yaml + config/paper-replica.yaml. Prints the wall time, the number of jobs executed
and the Table 3 it produced (stand-in numbers).
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from ddr.data.download import DOWNLOADS
from ddr.data.registry import DEFAULT_REGISTRY, load_registry
from ddr.data.replicas import build_replicas, write_replica_registry

OVERLAY = Path("config") / "paper-replica.yaml"
CI_OVERLAY = Path("config") / "paper-replica-ci.yaml"  # fewer instances of each rule, for the CI test


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the download log says what was fetched
        pass


class ReplicaServer:
    """A static file server for the replica archives on 127.0.0.1 (a free port), in a background thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def merged_overlay(repo: Path, overlays: list[Path]) -> dict:
    """The overlays' top-level keys, later files winning (only data_dir/results_dir/datasets_registry are read)."""
    merged: dict = {}
    for overlay in overlays:
        merged.update(yaml.safe_load((repo / overlay).read_text(encoding="utf-8")))
    return merged


def prepare(repo: Path, server_url: str, overlays: list[Path]) -> tuple[Path, Path]:
    """Build replicas and the replica registry under the overlay's data_dir; place hand-delivered archives.

    Returns (replica archive folder, registry path).
    """
    overlay = merged_overlay(repo, overlays)
    data_dir = repo / overlay["data_dir"]
    archives = data_dir / "replicas"
    facts = build_replicas(archives)
    registry_path = write_replica_registry(repo / overlay["datasets_registry"], DEFAULT_REGISTRY, facts, server_url)
    for entry in load_registry(registry_path):
        if entry.needs_manual_download:  # as a user would: into <data root>/downloads/<dataset>/<filename>
            for spec in entry.files:
                target = data_dir / "raw" / DOWNLOADS / entry.name / spec.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archives / entry.name / spec.filename
                if not target.exists() or target.read_bytes() != source.read_bytes():
                    shutil.copy2(source, target)
    return archives, registry_path


def run(cores: str, extra: list[str], repo: Path, ci: bool = False) -> int:
    """Serve, prepare, run Snakemake; print wall time, jobs executed and Table 3. Returns Snakemake's status."""
    overlays = [OVERLAY, CI_OVERLAY] if ci else [OVERLAY]
    overlay = merged_overlay(repo, overlays)
    started = time.monotonic()
    data_dir = repo / overlay["data_dir"]
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = repo / overlay["results_dir"] / "paper-replica.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = ReplicaServer(data_dir)  # serves <data_dir>/replicas/<dataset>/<file> once they exist
    try:
        prepare(repo, server.url + "/replicas", overlays)
        command = [sys.executable, "-m", "snakemake", "--cores", cores, "--configfile", "config/paper.yaml",
                   *map(str, overlays), *extra]
        returncode, log = _run_logged(command, repo, log_path)
    finally:
        server.close()
    done = re.findall(r"(\d+) of (\d+) steps \(100%\) done", log)
    wall = time.monotonic() - started
    print(f"paper-replica: snakemake exit {returncode}, {done[-1][0] if done else 0} jobs executed, "
          f"wall time {wall:.0f} s (log: {overlay['results_dir']}/paper-replica.log)")
    table3 = repo / overlay["results_dir"] / "tables" / "table3_biqa_srcc.md"
    if returncode == 0 and table3.is_file():
        print("Table 3 (STAND-IN numbers: replica images with synthetic scores, tiny CLIP checkpoint):")
        print(table3.read_text(encoding="utf-8"))
    else:
        print(log[-4000:])
    return returncode


def _run_logged(command: list[str], cwd: Path, log_path: Path) -> tuple[int, str]:
    """Run `command`, writing its output to `log_path` as it comes (a long run can be followed with tail -f) and a
    one-line progress note to stdout per finished step. Returns (exit status, whole output)."""
    lines = []
    with open(log_path, "w", encoding="utf-8") as log, subprocess.Popen(
            command, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        for line in process.stdout:
            lines.append(line)
            log.write(line)
            log.flush()
            if re.search(r"\d+ of \d+ steps", line):
                print(f"paper-replica: {line.strip()}", flush=True)
    return process.returncode, "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cores", default="all")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repository to run in (default: here)")
    parser.add_argument("--ci", action="store_true", help=f"add {CI_OVERLAY} (fewer instances of each rule)")
    parser.add_argument("snakemake_args", nargs=argparse.REMAINDER, help="passed to snakemake (after --)")
    args = parser.parse_args(argv)
    extra = [a for a in args.snakemake_args if a != "--"]
    if not (args.repo / "Snakefile").is_file():
        parser.error(f"{args.repo.resolve()}: no Snakefile here; run from the repository root or pass --repo")
    return run(args.cores, extra, args.repo.resolve(), ci=args.ci)


if __name__ == "__main__":
    sys.exit(main())
