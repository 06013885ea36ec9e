#!/usr/bin/env bash
# Which tools the scripts of this site can use on this host, and the free disk of the data
# folder, watched for a few seconds so the log shows lines as they come.
# Parameter: SWITCHYARD_PARAM_WATCH_SECONDS (1-60).
set -euo pipefail
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"

seconds="${SWITCHYARD_PARAM_WATCH_SECONDS:-3}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || (( seconds < 1 || seconds > 60 )); then
  echo "error: watch_seconds must be a whole number from 1 to 60, got '${seconds}'" >&2
  exit 2
fi
data="${SWITCHYARD_DATA_DIR:-app_data}"
report="${SWITCHYARD_REPORT_PATH:-/dev/null}"
: > "$report"
say() { echo "$*"; echo "$*" >> "$report"; }

sy_progress 5 "Looking for tools"
for tool in bash python3 node tar gzip curl rsync; do
  if path=$(command -v "$tool"); then
    version=$("$tool" --version 2>&1 | head -n 1 || true)
    say "found   ${tool} (${path}): ${version}"
  else
    say "missing ${tool}"
  fi
done

for ((i = 1; i <= seconds; i++)); do
  sy_progress $(( 10 + 90 * i / seconds )) "Watching the disk: ${i} of ${seconds} s"
  say "$(date -u +%H:%M:%S) free in ${data}: $(df -Pk "$data" | awk 'NR == 2 { printf "%.1f GiB of %.1f GiB", $4 / 1048576, $2 / 1048576 }')"
  sleep 1
done
sy_progress 100 "Host checked"
