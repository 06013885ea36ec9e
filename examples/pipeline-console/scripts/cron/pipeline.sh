#!/usr/bin/env bash
# The same pipeline run by cron (or any scheduler) instead of Switchyard, reporting itself as a run
# of the "Run the pipeline" button: each step's progress, output and timing go to the run's log, the
# report to its page. It uses the page's saved values, as the run recorded them.
#
#   SWITCHYARD_URL=http://localhost:4321 SWITCHYARD_TOKEN=syu_… scripts/cron/pipeline.sh EXPORT_DIR
#
# A crontab line (the token in a file only its user reads):
#   30 1 * * * cd /srv/switchyard/examples/pipeline-console && SWITCHYARD_URL=http://localhost:4321 SWITCHYARD_TOKEN=$(cat ~/.switchyard-token) scripts/cron/pipeline.sh /srv/exports
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The helper of the Switchyard checkout this example lives in (or SWITCHYARD_LIB, where it lives elsewhere).
. "${SWITCHYARD_LIB:-$here/../../../../scripts/lib}/switchyard-report.sh"

out=${1:-}
[[ -n $out && $# -eq 1 ]] || { echo "usage: $0 EXPORT_DIR  (with SWITCHYARD_URL and SWITCHYARD_TOKEN set)" >&2; exit 2; }
[[ -n ${SWITCHYARD_URL:-} && -n ${SWITCHYARD_TOKEN:-} ]] || { echo 'error: set SWITCHYARD_URL and SWITCHYARD_TOKEN' >&2; exit 2; }
command -v python3 >/dev/null || { echo 'error: python3 is needed (Debian: apt-get install python3)' >&2; exit 2; }
mkdir -p "$out"
steps=$here/../pipeline/steps.py
# The run's scratch folder (mode 700) beside the exports, so the export's renames stay in one file system.
work=$(mktemp -d "$out/.work-XXXXXX")

sy_start pipeline run_pipeline
# sy_start's EXIT trap finishes the run (its status becomes the run's); the scratch folder goes first, however the script ends.
sy_on_exit 'rm -rf "$work"'
label="cron-$SY_RUN_ID"

# The token goes in a header file only this user reads, not on curl's command line where `ps` shows it.
(umask 077 && printf 'Authorization: Bearer %s\n' "$SWITCHYARD_TOKEN" > "$work/auth")
# The values the run was created with (the page's at that moment, shown on the run's page), not a
# second read of the page that a save in between could make differ.
[[ -n $SY_RUN_ID ]] || { echo 'error: Switchyard did not create a run (see the warning above); nothing done' >&2; exit 3; }
sy_step 5 'reading the run values' -- curl -q -fsS --max-time 30 -H @"$work/auth" -o "$work/values.json" "${SWITCHYARD_URL%/}/api/v1/runs/$SY_RUN_ID"
for step in ingest clean export; do
  case $step in
    ingest) pct=10 args=("$here/../../data/orders.csv") ;;
    clean) pct=40 args=("$work/values.json") ;;
    export) pct=70 args=("$out" "$label" "$work/values.json") ;;
  esac
  sy_step "$pct" "$step" -- env PIPELINE_STEP_STARTED="$(date +%s.%N)" python3 "$steps" "$step" "$work" "${args[@]}"
done
sy_step 95 'report' -- python3 "$steps" report "$work" "$work/report.html"
rows=$(sed -n 's/.*"rows": \([0-9]*\).*/\1/p' "$work/export.json")
sy_progress 100 "Done: $rows rows exported"
sy_finish 0 "$work/report.html"
