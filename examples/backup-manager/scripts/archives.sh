#!/usr/bin/env bash
# Lists every archive kept, job by job, with sizes: the report is the list, the message the totals,
# and archives.txt (a file of the run) the restore dialog's choices.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"
. "$here/lib/backup-common.sh"
. "$here/lib/report.sh"

dir=$(archive_dir)
sy_progress 10 "Reading $dir"
# A job is what comes before the stamp in an archive's name.
mapfile -t jobs < <([[ -d $dir ]] && find "$dir" -maxdepth 1 -type f -regextype posix-extended \
  -regex '.*/[a-z][a-z0-9-]*-[0-9]{8}T[0-9]{6}Z\.tar(\.gz|\.xz)?' -printf '%f\n' \
  | sed -E 's/-[0-9]{8}T[0-9]{6}Z\.tar(\.gz|\.xz)?$//' | sort -u)
count=0 total=0
{
  report_head "Archives"
  ((${#jobs[@]} > 0)) || printf '<p>No archives yet: press <em>Back up now</em> on a job.</p>\n'
  for job in "${jobs[@]}"; do archive_table "$job"; done
  printf '</body></html>\n'
} > "${SWITCHYARD_REPORT_PATH:-/dev/null}"
names=()
for job in "${jobs[@]}"; do
  while IFS= read -r name; do
    count=$((count + 1)); total=$((total + $(stat -c %s -- "$dir/$name")))
    echo "$name $(stat -c %s -- "$dir/$name")"
    names+=("$name")
  done < <(archives_of "$job")
done
# The restore dialog's choices (its input's options_from): one archive name a line.
if [[ -n ${SWITCHYARD_ARTIFACTS_DIR:-} ]]; then
  if ((${#names[@]})); then printf '%s\n' "${names[@]}"; fi > "$SWITCHYARD_ARTIFACTS_DIR/archives.txt"
fi
plural() { if (($1 == 1)); then echo "$1 $2"; else echo "$1 $2s"; fi; }
sy_progress 100 "$(plural "$count" archive) of $(plural "${#jobs[@]}" job), $(human "$total") in all"
