#!/usr/bin/env bash
# Database backup: takes a consistent snapshot of Switchyard's libSQL file
# (VACUUM INTO, safe while the app runs), compresses it, keeps the newest 10,
# and writes a plain-text log as the report.
set -euo pipefail
. "$(dirname "$0")/../lib/switchyard.sh"

data="${SWITCHYARD_DATA_DIR:?}"
db="${data}/switchyard.db"
dir="${data}/backups"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${dir}/switchyard-${stamp}.db"
report="$SWITCHYARD_REPORT_PATH"

say() { echo "$*"; echo "$(date -u +%H:%M:%S) $*" >> "$report"; }
: > "$report"

if [ ! -f "$db" ]; then
  say "No database at ${db} on this host: nothing to back up."
  exit 1
fi
mkdir -p "$dir"

sy_progress 10 "Taking a snapshot"
say "Snapshot of ${db}"
node "$(dirname "$0")/snapshot.mjs" "$db" "$target"

sy_progress 60 "Compressing"
gzip -9 "$target"
say "Wrote ${target}.gz ($(du -h "${target}.gz" | cut -f1))"

sy_progress 90 "Removing old backups"
ls -1t "$dir"/switchyard-*.db.gz 2>/dev/null | tail -n +11 | while read -r old; do
  rm -f -- "$old"
  say "Removed ${old}"
done

sy_progress 100 "Backup complete"
say "Done. $(ls -1 "$dir"/switchyard-*.db.gz | wc -l) backup(s) kept in ${dir}."
