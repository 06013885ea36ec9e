#!/usr/bin/env python3
"""Counts the words of a text file and writes the most frequent ones as CSV.

Parameters (from Switchyard): SWITCHYARD_PARAM_INPUT_FILE (a path inside the
example's folder), SWITCHYARD_PARAM_TOP, SWITCHYARD_PARAM_MIN_LENGTH.
Writes <data dir>/files/script-groups/text-reports/word-stats.csv and an HTML report.
Standard library only, so Debian's python3 is enough.
"""
import csv
import html
import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def progress(pct: int, message: str) -> None:
    """Written to a temporary file and renamed, so the runner never reads half of it."""
    status = os.environ.get("SWITCHYARD_STATUS_FILE")
    if not status:
        return
    tmp = f"{status}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"progress": pct, "message": message}, f)
    os.replace(tmp, status)


def write_atomically(path: Path, write) -> None:
    """A temporary file in the same folder, renamed over the target: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def input_path(value: str) -> Path:
    """The file the parameter names, refused unless it lies inside the example's folder (links followed)."""
    root = Path.cwd().resolve()
    if not value:
        fail("no text file given")
    if value.startswith("/") or ".." in Path(value).parts:
        fail(f"{value}: give a path inside the example's folder, without '..'")
    path = (root / value).resolve()
    if root not in path.parents:
        fail(f"{value}: leads outside the example's folder")
    if not path.is_file():
        fail(f"{value}: no such file")
    if path.stat().st_size > MAX_BYTES:
        fail(f"{value}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    return path


def integer(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(f"SWITCHYARD_PARAM_{name}", "") or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        fail(f"{name.lower()} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def main() -> None:
    source = input_path(os.environ.get("SWITCHYARD_PARAM_INPUT_FILE", ""))
    top = integer("TOP", 10, 1, 100)
    shortest = integer("MIN_LENGTH", 4, 1, 20)
    data_dir = Path(os.environ.get("SWITCHYARD_DATA_DIR") or "app_data")
    # files/ of the data folder is the scripts' own: Switchyard never writes, moves or deletes there.
    target = data_dir / "files" / "script-groups" / "text-reports" / "word-stats.csv"

    progress(10, f"Reading {source.name}")
    print(f"Reading {source.relative_to(Path.cwd().resolve())}", flush=True)
    text = source.read_text(encoding="utf-8", errors="replace")
    words = [w for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", text.lower()) if len(w) >= shortest]
    print(f"{len(words)} words of {shortest} letters or more", flush=True)

    progress(60, "Counting")
    counts = Counter(words).most_common(top)
    for rank, (word, n) in enumerate(counts, 1):
        print(f"{rank:>3}. {word}: {n}", flush=True)

    progress(90, "Writing the CSV")

    def rows(f):
        out = csv.writer(f)
        out.writerow(["rank", "word", "count"])
        out.writerows((rank, word, n) for rank, (word, n) in enumerate(counts, 1))

    write_atomically(target, rows)
    print(f"Wrote {len(counts)} rows to {target}", flush=True)

    report = os.environ.get("SWITCHYARD_REPORT_PATH")
    if report:
        cells = "".join(f"<tr><td>{r}</td><td>{html.escape(w)}</td><td>{n}</td></tr>" for r, (w, n) in enumerate(counts, 1))
        Path(report).write_text(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Word counts</title>"
            "<style>body{font:14px system-ui,sans-serif;margin:1.5rem}td,th{border:1px solid #cbd5e1;padding:.3rem .6rem}"
            "table{border-collapse:collapse}</style></head><body>"
            f"<h1>Word counts of {html.escape(source.name)}</h1>"
            f"<p>{len(words)} words of {shortest} letters or more; the {len(counts)} most frequent:</p>"
            f"<table><thead><tr><th>Rank</th><th>Word</th><th>Count</th></tr></thead><tbody>{cells}</tbody></table>"
            "</body></html>\n",
            encoding="utf-8",
        )
    progress(100, f"{len(counts)} words listed")


if __name__ == "__main__":
    main()
