#!/usr/bin/env bash
# A backup of this site's own data, in <data dir>/backups/:
#   site-<UTC stamp>.db.gz (+ .manifest.json)  the database, by Switchyard's own backup command
#                                              (a consistent snapshot, safe while the app serves);
#   site-<UTC stamp>.files.tar.gz              the files the script groups wrote (files/script-groups/).
# The newest SWITCHYARD_PARAM_KEEP sets are kept. Each file is written under a temporary name and
# renamed when whole, and a set that fails halfway is removed, so a listed backup is a whole one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"

keep="${SWITCHYARD_PARAM_KEEP:-7}"
if ! [[ "$keep" =~ ^[0-9]+$ ]] || (( keep < 1 || keep > 100 )); then
  echo "error: keep must be a whole number from 1 to 100, got '${keep}'" >&2
  exit 2
fi

# The Switchyard checkout whose command takes the snapshot: SWITCHYARD_HOME if set, else the one
# `npm start` runs from (npm names its package.json), else the one this example lies in.
checkout() {
  local c
  for c in "${SWITCHYARD_HOME:-}" "$(dirname "${npm_package_json:-/nonexistent/x}")" "$here/../../../.."; do
    if [ -n "$c" ] && [ -f "$c/src/cli/backup.ts" ] && [ -x "$c/node_modules/.bin/node" ]; then
      (cd "$c" && pwd)
      return 0
    fi
  done
  return 1
}
if ! repo=$(checkout); then
  echo "error: cannot find the Switchyard checkout (with npm install done); set SWITCHYARD_HOME to it" >&2
  exit 2
fi

data="${SWITCHYARD_DATA_DIR:?the runner sets SWITCHYARD_DATA_DIR}"
dir="${data}/backups"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
db="${dir}/site-${stamp}.db.gz"
files="${dir}/site-${stamp}.files.tar.gz"
report="${SWITCHYARD_REPORT_PATH:-/dev/null}"
: > "$report"
say() { echo "$*"; echo "$*" >> "$report"; }
mkdir -p "$dir" "${data}/files/script-groups"

# On any failure, what this run made goes (and only that: a run started in the same second
# is refused by the backup command, and must not remove the other run's files).
made=()
tmp="${dir}/.site-${stamp}.files.tar.gz.partial-$$"
cleanup() {
  local code=$?
  if (( code != 0 )); then
    rm -f -- "$tmp" ${made[@]+"${made[@]}"}
    say "Backup failed (exit code ${code}); nothing of it was kept."
  fi
}
trap cleanup EXIT

sy_progress 10 "Snapshot of the database"
say "Switchyard: ${repo}"
# The project's own Node (24), whatever node the machine has: the command is TypeScript.
"$repo/node_modules/.bin/node" "$repo/src/cli/backup.ts" "$db" 2>&1 | tee -a "$report"
made+=("$db" "$db.manifest.json")

sy_progress 50 "Archive of the script groups' files"
tar -czf "$tmp" -C "$data" files/script-groups
mv -n -- "$tmp" "$files"
[ ! -e "$tmp" ] || { echo "error: ${files} exists already" >&2; exit 1; }
made+=("$files")
say "Archived $(tar -tzf "$files" | grep -vc '/$') file(s) of ${data}/files/script-groups to ${files} ($(stat -c %s "$files") bytes)"

sy_progress 80 "Removing old backups"
# Names sort by time; a set is its database, its manifest and its files.
ls -1 "$dir"/site-*.db.gz 2>/dev/null | sort -r | tail -n +$((keep + 1)) | while read -r old; do
  base="${old%.db.gz}"
  rm -f -- "$old" "$old.manifest.json" "${base}.files.tar.gz"
  say "Removed ${base}.*"
done

sy_progress 100 "Backup complete"
say "Done: $(ls -1 "$dir"/site-*.db.gz | wc -l) backup(s) kept in ${dir}."
