#!/usr/bin/env bash
# The pipeline as a button runs it (by hand or on its schedule): ingest → clean → export, each step
# shown as progress on the page and timed in the log, then the HTML report.
# The bundled data set is data/orders.csv; exports go to the data folder's reports/exports/.
set -euo pipefail
here=$(dirname "$0")
. "$here/../lib/switchyard.sh"

command -v python3 >/dev/null || { echo 'error: python3 is needed (Debian: apt-get install python3)' >&2; exit 2; }
data_dir=${SWITCHYARD_DATA_DIR:?run this from Switchyard, or set SWITCHYARD_DATA_DIR}
out="$data_dir/reports/exports"
pause=${SWITCHYARD_PARAM_STEP_PAUSE_S:-0}
mkdir -p "$out"
# The run's scratch folder beside the exports (one file system, so the export's renames are atomic);
# removed however the run ends, so a failed run leaves no half-done work behind.
work=$(mktemp -d "$out/.work-XXXXXX")
trap 'rm -rf "$work"' EXIT

steps=(ingest clean export)
args_ingest=("$here/../../data/orders.csv")
args_clean=("$SWITCHYARD_PARAMS_FILE")
args_export=("$out" "run-$SWITCHYARD_RUN_ID" "$SWITCHYARD_PARAMS_FILE")
for i in "${!steps[@]}"; do
  step=${steps[$i]}
  sy_progress $((i * 100 / ${#steps[@]})) "Step $((i + 1)) of ${#steps[@]}: $step"
  echo "[$((i + 1))/${#steps[@]}] $step started at $(date -u +%H:%M:%S)"
  declare -n args="args_$step"
  PIPELINE_STEP_STARTED=$(date +%s.%N) python3 "$here/steps.py" "$step" "$work" "${args[@]}"
  unset -n args
  sleep "$pause"
done
python3 "$here/steps.py" report "$work" "$SWITCHYARD_REPORT_PATH"
sy_progress 100 "Done: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"])' "$work/export.json") rows exported"
