#!/usr/bin/env python3
"""The pipeline's steps, one per call, so a wrapper can report each as it goes:

    steps.py ingest WORK SOURCE_CSV          raw.csv in WORK, its header checked
    steps.py clean  WORK VALUES_JSON         clean.csv: fixed or dropped rows, the page's filters applied
    steps.py export WORK OUT_DIR LABEL VALUES_JSON
                                             orders-LABEL.csv/.json in OUT_DIR, then latest.* replaced
    steps.py report WORK REPORT_FILE         the HTML report: step timings, drops, totals, files, preview

WORK is the run's own scratch folder; each step appends its timing to WORK/steps.jsonl, which the
report reads. VALUES_JSON is Switchyard's SWITCHYARD_PARAMS_FILE, a page's latest.json (its
"values") or a run's JSON from the API (its "params"). Only the standard library: it runs on any machine with python3.
"""
import csv
import hashlib
import html
import json
import os
import sys
import tempfile
import time
from datetime import date, datetime, timezone

COLUMNS = ['order_id', 'ordered_at', 'customer', 'country', 'amount', 'currency']


def fail(message):
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def values_from(path):
    """The page's values: a runner's params file, or nested in latest.json or a run's JSON."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        fail(f'cannot read the values file {path}: {e}')
    if not isinstance(data, dict):
        fail(f'{path} holds no object of values')
    for key in ('values', 'params'):
        if isinstance(data.get(key), dict):
            return data[key]
    return data


def write_atomically(path, text):
    """Writes a temporary file beside PATH and renames it: a reader sees the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or '.', prefix='.tmp-')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8', newline='') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def record(work, step, started, rows_in, rows_out, note=''):
    # A wrapper that sets PIPELINE_STEP_STARTED (epoch seconds) gets the step's whole time, Python's
    # start included (most of it on a small data set); otherwise the step's own work.
    since = os.environ.get('PIPELINE_STEP_STARTED')
    seconds = round(time.time() - float(since) if since else time.monotonic() - started, 3)
    with open(os.path.join(work, 'steps.jsonl'), 'a', encoding='utf-8') as f:
        f.write(json.dumps({'step': step, 'seconds': seconds, 'rows_in': rows_in, 'rows_out': rows_out, 'note': note}) + '\n')
    print(f'{step}: {rows_in} rows in, {rows_out} out, {seconds:.3f} s{" — " + note if note else ""}')


def read_csv(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.reader(f))


def csv_text(rows):
    lines = []

    class Sink:
        def write(self, s):
            lines.append(s)

    w = csv.writer(Sink(), lineterminator='\n')
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])
    return ''.join(lines)


def ingest(work, source):
    started = time.monotonic()
    if not os.path.isfile(source):
        fail(f'no data set at {source}')
    rows = read_csv(source)
    if not rows or [h.strip() for h in rows[0]] != COLUMNS:
        fail(f'{source}: the header must be {",".join(COLUMNS)}, got {",".join(rows[0]) if rows else "an empty file"}')
    write_atomically(os.path.join(work, 'raw.csv'), csv_text(dict(zip(COLUMNS, r)) for r in rows[1:] if len(r) == len(COLUMNS)))
    short = sum(1 for r in rows[1:] if len(r) != len(COLUMNS))
    record(work, 'ingest', started, len(rows) - 1, len(rows) - 1 - short, f'{short} rows with a wrong number of fields' if short else '')


def clean_row(r):
    """The row fixed up (country case, decimal comma), or the reason it is dropped."""
    amount = r['amount'].strip().replace(',', '.')
    try:
        value = float(amount)
    except ValueError:
        return None, 'no amount' if not amount else 'amount is not a number'
    try:
        date.fromisoformat(r['ordered_at'].strip())
    except ValueError:
        return None, 'not a calendar day'
    return {**r, 'country': r['country'].strip().upper(), 'amount': f'{value:.2f}', 'customer': r['customer'].strip()}, None


def clean(work, values_file):
    started = time.monotonic()
    values = values_from(values_file)
    min_amount = float(values.get('min_amount') or 0)
    countries = set(values.get('countries') or [])
    rows = read_csv(os.path.join(work, 'raw.csv'))[1:]
    kept, drops, seen = [], {}, set()
    for fields in rows:
        row, why = clean_row(dict(zip(COLUMNS, fields)))
        if row and row['order_id'] in seen:
            row, why = None, 'duplicate order'
        if row and float(row['amount']) < min_amount:
            row, why = None, f'below {min_amount:.2f}'
        if row and countries and row['country'] not in countries:
            row, why = None, 'country not chosen'
        if row:
            seen.add(row['order_id'])
            kept.append(row)
        else:
            drops[why] = drops.get(why, 0) + 1
    kept.sort(key=lambda r: (r['ordered_at'], r['order_id']))
    write_atomically(os.path.join(work, 'clean.csv'), csv_text(kept))
    write_atomically(os.path.join(work, 'drops.json'), json.dumps(drops))
    record(work, 'clean', started, len(rows), len(kept), ', '.join(f'{n} {why}' for why, n in sorted(drops.items())))


def export(work, out_dir, label, values_file):
    started = time.monotonic()
    formats = values_from(values_file).get('formats') or ['csv']
    rows = [dict(zip(COLUMNS, r)) for r in read_csv(os.path.join(work, 'clean.csv'))[1:]]
    for r in rows:
        r['amount'] = float(r['amount'])
    os.makedirs(out_dir, exist_ok=True)
    files = {}
    texts = {'csv': lambda: csv_text(rows), 'json': lambda: json.dumps(rows, indent=1, ensure_ascii=False) + '\n'}
    for fmt in ('csv', 'json'):
        latest = os.path.join(out_dir, f'latest.{fmt}')
        if fmt not in formats:
            # A latest file of a format this run did not write would pass for its output.
            if os.path.exists(latest):
                os.unlink(latest)
            continue
        text = texts[fmt]()
        name = f'orders-{label}.{fmt}'
        write_atomically(os.path.join(out_dir, name), text)
        write_atomically(latest, text)
        files[name] = {'bytes': len(text.encode()), 'sha256': hashlib.sha256(text.encode()).hexdigest()}
    meta = {'label': label, 'created_at': datetime.now(timezone.utc).isoformat(timespec='seconds'), 'rows': len(rows), 'files': files}
    write_atomically(os.path.join(out_dir, 'latest.meta.json'), json.dumps(meta, indent=1) + '\n')
    write_atomically(os.path.join(work, 'export.json'), json.dumps(meta))
    removed = prune(out_dir, int(values_from(values_file).get('keep_exports') or 10))
    record(work, 'export', started, len(rows), len(rows), f'{", ".join(files)} in {out_dir}' + (f'; {removed} old files removed' if removed else ''))


def prune(out_dir, keep):
    """Keeps the newest KEEP runs' exports (latest.* are copies, kept always)."""
    runs = {}
    for name in os.listdir(out_dir):
        if name.startswith('orders-') and name.rsplit('.', 1)[-1] in ('csv', 'json'):
            runs.setdefault(name.rsplit('.', 1)[0], []).append(name)
    by_age = sorted(runs, key=lambda k: max(os.path.getmtime(os.path.join(out_dir, n)) for n in runs[k]), reverse=True)
    removed = 0
    for stem in by_age[keep:]:
        for name in runs[stem]:
            os.unlink(os.path.join(out_dir, name))
            removed += 1
    return removed


def report(work, report_file):
    with open(os.path.join(work, 'steps.jsonl'), encoding='utf-8') as f:
        steps = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(work, 'drops.json'), encoding='utf-8') as f:
        drops = json.load(f)
    with open(os.path.join(work, 'export.json'), encoding='utf-8') as f:
        meta = json.load(f)
    rows = [dict(zip(COLUMNS, r)) for r in read_csv(os.path.join(work, 'clean.csv'))[1:]]
    write_atomically(report_file, render(steps, drops, meta, rows))
    print(f'report: {len(steps)} steps, {meta["rows"]} rows')


def table(caption, head, body):
    e = html.escape
    cells = ''.join(f'<tr>{"".join(f"<td>{e(str(c))}</td>" for c in row)}</tr>' for row in body)
    return f'<table><caption>{e(caption)}</caption><thead><tr>{"".join(f"<th>{e(h)}</th>" for h in head)}</tr></thead><tbody>{cells}</tbody></table>'


def render(steps, drops, meta, rows):
    totals = {}
    for r in rows:
        key = (r['country'], r['currency'])
        n, s = totals.get(key, (0, 0.0))
        totals[key] = (n + 1, s + float(r['amount']))
    total_s = sum(s['seconds'] for s in steps)
    parts = [
        table('Steps', ['Step', 'Rows in', 'Rows out', 'Seconds', 'Note'], [[s['step'], s['rows_in'], s['rows_out'], f"{s['seconds']:.3f}", s['note']] for s in steps]),
        table('Rows dropped', ['Reason', 'Rows'], sorted(drops.items()) or [['none', 0]]),
        table('Totals', ['Country', 'Currency', 'Orders', 'Amount'], [[c, cur, n, f'{s:.2f}'] for (c, cur), (n, s) in sorted(totals.items())]),
        table('Files written', ['File', 'Bytes', 'SHA-256'], [[name, f['bytes'], f['sha256']] for name, f in meta['files'].items()]),
        table(f'First {min(10, len(rows))} of {len(rows)} rows', COLUMNS, [[r[c] for c in COLUMNS] for r in rows[:10]]),
    ]
    return f'''<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pipeline report</title>
<style>body{{font:14px system-ui,sans-serif;margin:1.5rem;color:#0f172a}}table{{border-collapse:collapse;margin:1rem 0}}
caption{{text-align:left;font-weight:600;padding:.3rem 0}}td,th{{border:1px solid #cbd5e1;padding:.3rem .6rem;text-align:left}}</style>
</head><body>
<h1>Pipeline report</h1>
<p>Export <code>{html.escape(meta['label'])}</code> at {html.escape(meta['created_at'])}: {meta['rows']} rows in {total_s:.3f} s of steps.
The files are in the export folder; <code>latest.csv</code>, <code>latest.json</code> and <code>latest.meta.json</code> are the newest.</p>
{''.join(parts)}
</body></html>
'''


def main(argv):
    usage = {'ingest': 2, 'clean': 2, 'export': 4, 'report': 2}
    if len(argv) < 2 or argv[1] not in usage or len(argv) != 2 + usage[argv[1]]:
        fail('usage: steps.py ingest WORK SOURCE | clean WORK VALUES | export WORK OUT LABEL VALUES | report WORK REPORT')
    step, args = argv[1], argv[2:]
    if not os.path.isdir(args[0]):
        fail(f'no work folder {args[0]}')
    {'ingest': ingest, 'clean': clean, 'export': export, 'report': report}[step](*args)


if __name__ == '__main__':
    main(sys.argv)
