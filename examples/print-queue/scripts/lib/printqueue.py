#!/usr/bin/env python3
"""The print queue: jobs are files that move between folders.

    incoming/ -> approved/ -> printing/ -> done/ | failed/
    incoming/ -> failed/ (rejected)

A job's state is the folder it is in, nothing else, so there is no second
record that could disagree with the files. What staff add on the way (weight,
time, cost, reasons) is kept in meta/<job>.json beside the folders.

Every change takes one lock on the whole queue (flock on .queue.lock) and moves
the file with rename(2): within one file system a rename is atomic, so a file
is in one folder or the other, never half-copied, and two runs at once (two
staff pressing Approve on the same job) cannot both move it: the second finds
it gone and fails saying where it is.

Usage (one command per button): printqueue.py submit|approve|reject|start|finish|purge|samples
Values come from Switchyard: the page's parameters and the button's inputs in
SWITCHYARD_PARAMS_FILE, the data folder in SWITCHYARD_DATA_DIR.
"""
import fcntl
import json
import os
import re
import sys
import time
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

FOLDERS = ("incoming", "approved", "printing", "done", "failed")

# The seed's cost matrix: dollars per gram of material and per minute of printer time.
PRINTERS = {
    "Prusa MK4S": {"rate_g": Decimal("0.08"), "rate_min": Decimal("0.01")},
    "Prusa XL": {"rate_g": Decimal("0.09"), "rate_min": Decimal("0.011")},
    "Raise3D": {"rate_g": Decimal("0.10"), "rate_min": Decimal("0.012")},
    "Formlabs": {"rate_g": Decimal("0.12"), "rate_min": Decimal("0.008")},
}

# A job is named by its file name alone: no folders, no "..", no hidden or temporary files.
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$")


class Refused(Exception):
    """Bad input or a job in the wrong place: said in the log, exit code 2."""


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def say(line):
    print(line, flush=True)


def write_atomic(path, text):
    """Writes beside the target, then renames: a reader sees the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def progress(pct, message):
    status = os.environ.get("SWITCHYARD_STATUS_FILE")
    if status:
        write_atomic(Path(status), json.dumps({"progress": pct, "message": message}) + "\n")


class Queue:
    def __init__(self, root):
        self.root = root
        for f in FOLDERS + ("meta",):
            (root / f).mkdir(parents=True, exist_ok=True)
        self.lock_file = open(root / ".queue.lock", "a")

    def __enter__(self):
        # Not blocking first, so the log says when another run held the queue.
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("Another run is changing the queue; waiting for it.")
            fcntl.flock(self.lock_file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.lock_file, fcntl.LOCK_UN)

    def jobs(self, folder):
        """The jobs in a folder, oldest arrival first (a move sets the file's time)."""
        files = [p for p in (self.root / folder).iterdir() if p.is_file() and JOB_NAME.match(p.name) and not p.name.endswith(".part")]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def where(self, job):
        return next((f for f in FOLDERS if (self.root / f / job).is_file()), None)

    def meta(self, job):
        path = self.root / "meta" / f"{job}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"job": job, "history": []}

    def save_meta(self, job, meta):
        write_atomic(self.root / "meta" / f"{job}.json", json.dumps(meta, indent=2) + "\n")

    def expect(self, job, src):
        """Refuses unless the job is in folder src: the second of two runs on one job stops here."""
        here = self.where(job)
        if here != src:
            raise Refused(f"{job} is not in {src}/: " + (f"it is in {here}/." if here else "there is no such job."))

    def move(self, job, src, dst, **changes):
        """Moves a job from folder src to dst, recording changes; the caller holds the lock."""
        self.expect(job, src)
        target = self.root / dst / job
        if target.exists():
            raise Refused(f"{dst}/{job} exists already; rename one of them first.")
        meta = self.meta(job)
        meta.update(changes)
        meta["history"].append({"from": src, "to": dst, "at": now(), "by": os.environ.get("SWITCHYARD_RUN_ID", "")})
        # Metadata first: if we die before the rename, the job is still in src and a retry redoes both.
        self.save_meta(job, meta)
        os.rename(self.root / src / job, target)
        os.utime(target)  # its time in the new folder, for the order of the queue and for purge
        say(f"Moved {job}: {src}/ -> {dst}/")
        progress(100, f"{job}: {src} -> {dst}")
        tell(meta.get("submitted_by"))


def tell(user):
    """Asks Switchyard to tell this user (who submitted the job) of the run's end: the print-desk
    target's run_recipients sends them the email too, at their account's address."""
    path = os.environ.get("SWITCHYARD_NOTIFY_FILE")
    if user and path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{user}\n")


def queue_root():
    """PRINT_QUEUE_ROOT as the operator set it where Switchyard starts, else <data folder>/files/print-queue.

    files/ of the data folder is the scripts' own: Switchyard never writes, moves or deletes there.
    """
    configured = os.environ.get("PRINT_QUEUE_ROOT")
    if configured:
        if not os.path.isabs(configured):
            raise Refused("PRINT_QUEUE_ROOT must be an absolute path.")
        return Path(configured)
    data = os.environ.get("SWITCHYARD_DATA_DIR")
    if not data:
        raise Refused("SWITCHYARD_DATA_DIR is not set: run this from Switchyard.")
    return Path(data) / "files" / "print-queue"


def load_values():
    path = os.environ.get("SWITCHYARD_PARAMS_FILE")
    if not path:
        raise Refused("SWITCHYARD_PARAMS_FILE is not set: run this from Switchyard.")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def job_name(values, required=True):
    job = (values.get("job") or "").strip()
    if not job:
        if required:
            raise Refused("Say which job: its file name, such as bracket.stl.")
        return None
    if not JOB_NAME.match(job) or ".." in job:
        raise Refused(f"{job!r} is not a job's file name (no folders, no '..', no leading dot).")
    return job


def cost(printer, weight_g, time_min):
    rates = PRINTERS.get(printer)
    if not rates:
        raise Refused(f"Unknown printer {printer!r}; known: {', '.join(PRINTERS)}.")
    total = Decimal(str(weight_g)) * rates["rate_g"] + Decimal(time_min) * rates["rate_min"]
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def submit(q, v):
    """Puts the file given in Submit a job's dialog into incoming/: copied under a hidden .part name, then renamed.

    Switchyard has checked the name and the button's accept: and max_size_mb:; the page's own
    limits (file types taken, largest file) are checked here, since the lab manager sets them.
    """
    given = v.get("job_file")
    if not given or not os.path.isabs(given) or not os.path.isfile(given):
        raise Refused("Choose the model file to submit.")
    source = Path(given)
    job = source.name
    if not JOB_NAME.match(job) or job.endswith(".part"):
        raise Refused(f"{job!r} cannot be a job's name: start it with a letter or digit (and not end in .part).")
    ext = source.suffix.lstrip(".").lower()
    if ext not in v["allowed_ext"]:
        raise Refused(f"{job}: .{ext} files are not taken here (allowed: {', '.join(v['allowed_ext'])}).")
    if source.stat().st_size > v["max_size_mb"] * 1024 * 1024:
        raise Refused(f"{job} is larger than {v['max_size_mb']} MB.")
    here = q.where(job)
    if here:
        raise Refused(f"A job named {job} is in {here}/ already; rename your file and submit it again.")
    meta = {"job": job, "history": [{"from": None, "to": "incoming", "at": now(), "by": os.environ.get("SWITCHYARD_RUN_ID", "")}]}
    submitter = os.environ.get("SWITCHYARD_STARTED_BY")
    if submitter:
        meta["submitted_by"] = submitter
    q.save_meta(job, meta)
    # Never half a file in incoming/: a name with a leading dot is not a job until the rename.
    tmp = q.root / "incoming" / f".{job}.part"
    tmp.write_bytes(source.read_bytes())
    os.rename(tmp, q.root / "incoming" / job)
    say(f"Submitted incoming/{job} ({source.stat().st_size} bytes)")
    progress(100, f"{job}: submitted -> incoming")


def approve(q, v):
    job = job_name(v)
    weight, minutes = v.get("weight_g"), v.get("time_min")
    if weight is None or weight <= 0 or minutes is None or minutes <= 0:
        raise Refused("Approving needs the job's weight (g) and print time (min), both above 0.")
    if weight > v["max_weight_g"]:
        raise Refused(f"{weight} g is over this desk's limit of {v['max_weight_g']} g.")
    if minutes > v["max_time_min"]:
        raise Refused(f"{minutes} min is over this desk's limit of {v['max_time_min']} min.")
    q.expect(job, "incoming")
    path = q.root / "incoming" / job
    ext = path.suffix.lstrip(".").lower()
    if ext not in v["allowed_ext"]:
        raise Refused(f"{job}: .{ext} files are not taken here (allowed: {', '.join(v['allowed_ext'])}).")
    if path.is_file() and path.stat().st_size > v["max_size_mb"] * 1024 * 1024:
        raise Refused(f"{job} is larger than {v['max_size_mb']} MB.")
    price = cost(v["printer"], weight, minutes)
    say(f"{job}: {weight} g, {minutes} min on {v['printer']}: ${price}")
    q.move(job, "incoming", "approved", printer=v["printer"], weight_g=weight, time_min=minutes, cost_usd=str(price))


def reject(q, v):
    job = job_name(v)
    reason = (v.get("reason") or "").strip()
    if not reason:
        raise Refused("Say why the job is rejected: the student reads it.")
    q.move(job, "incoming", "failed", reject_reasons=[reason])


def start(q, v):
    printing = q.jobs("printing")
    if len(printing) >= v["max_printing"]:
        raise Refused(f"{len(printing)} job(s) printing already, the limit is {v['max_printing']}: finish one first.")
    job = job_name(v, required=False)
    if job is None:
        waiting = q.jobs("approved")
        if not waiting:
            raise Refused("No approved job is waiting.")
        job = waiting[0].name
    q.move(job, "approved", "printing")


def finish(q, v):
    job = job_name(v, required=False)
    if job is None:
        printing = q.jobs("printing")
        if len(printing) != 1:
            raise Refused(f"{len(printing)} jobs are printing: say which one has finished.")
        job = printing[0].name
    outcome = v.get("outcome") or "done"
    if outcome not in ("done", "failed"):
        raise Refused(f"Outcome must be done or failed, not {outcome!r}.")
    q.move(job, "printing", outcome)


def purge(q, v):
    days = v.get("keep_days")
    if days is None or days < 0:
        raise Refused("Say how many days finished jobs are kept (0 or more).")
    cutoff = time.time() - days * 86400
    removed = 0
    for folder in ("done", "failed"):
        for path in q.jobs(folder):
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                (q.root / "meta" / f"{path.name}.json").unlink(missing_ok=True)
                say(f"Removed {folder}/{path.name}")
                removed += 1
    progress(100, f"Purged {removed} finished job(s) older than {days} day(s)")


def samples(q, v):
    """Puts the bundled sample jobs into incoming/, as a student's drop into the shared folder would."""
    source = Path(__file__).resolve().parents[2] / "samples"
    added = 0
    for sample in sorted(source.iterdir()):
        if q.where(sample.name):
            say(f"{sample.name} is in the queue already")
            continue
        tmp = q.root / "incoming" / f".{sample.name}.part"
        tmp.write_bytes(sample.read_bytes())
        os.rename(tmp, q.root / "incoming" / sample.name)
        say(f"Added incoming/{sample.name}")
        added += 1
    progress(100, f"Added {added} sample job(s)")


def report(q):
    """The queue as it is now, for the run's report: what students and staff read on the page."""
    path = os.environ.get("SWITCHYARD_REPORT_PATH")
    if not path:
        return
    lines = [f"Print queue at {now()}", ""]
    for folder in FOLDERS:
        jobs = q.jobs(folder)
        lines.append(f"{folder} ({len(jobs)})")
        for p in jobs:
            m = q.meta(p.name)
            detail = ", ".join(f"{k} {m[k]}" for k in ("printer", "weight_g", "time_min", "cost_usd") if k in m)
            why = "; ".join(m.get("reject_reasons", []))
            lines.append(f"  {p.name}" + (f"  ({detail})" if detail else "") + (f"  rejected: {why}" if why else ""))
        lines.append("")
    write_atomic(Path(path), "\n".join(lines))


COMMANDS = {"submit": submit, "approve": approve, "reject": reject, "start": start, "finish": finish, "purge": purge, "samples": samples}


def main(argv):
    if len(argv) != 2 or argv[1] not in COMMANDS:
        print(f"usage: printqueue.py {'|'.join(COMMANDS)}", file=sys.stderr)
        return 64
    try:
        q = Queue(queue_root())
        values = load_values()
        with q:
            try:
                COMMANDS[argv[1]](q, values)
            finally:
                report(q)
    except Refused as e:
        print(f"Refused: {e}", file=sys.stderr)
        progress(100, f"Refused: {e}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
