#!/usr/bin/env bash
# Database backup: `npm run backup` writes a consistent snapshot of Switchyard's
# database (VACUUM INTO, safe while the app serves), gzip-compressed, with its
# manifest and checksum beside it; the newest 10 are kept. The command's
# output and what was removed make the report.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../lib/switchyard.sh"

# This script lives in a Switchyard checkout: its command and its Node come
# from there, so a machine whose own node is older still runs it.
repo="$(cd "$here/../.." && pwd)"
PATH="$repo/node_modules/.bin:$PATH"

# The runner passes the app's data folder; the database is found from it (or
# from SWITCHYARD_DB_URL) exactly as the app finds it.
dir="${SWITCHYARD_DATA_DIR:?}/backups"
target="${dir}/switchyard-$(date -u +%Y%m%dT%H%M%SZ).db.gz"
report="${SWITCHYARD_REPORT_PATH:-/dev/null}"
keep=10

say() { echo "$*"; echo "$(date -u +%H:%M:%S) $*" >> "$report"; }
: > "$report"

sy_progress 10 "Taking a snapshot"
if ! out=$(node "$repo/src/cli/backup.ts" "$target" 2>&1); then
  say "$out"
  sy_progress 10 "Backup failed"
  exit 1
fi
say "$out"

sy_progress 80 "Removing old backups"
# Names sort by time; a backup is its file and its manifest.
ls -1 "$dir"/switchyard-*.db.gz 2>/dev/null | sort -r | tail -n +$((keep + 1)) | while read -r old; do
  rm -f -- "$old" "$old.manifest.json"
  say "Removed ${old}"
done

sy_progress 100 "Backup complete"
say "Done. $(ls -1 "$dir"/switchyard-*.db.gz | wc -l) backup(s) kept in ${dir}."
