#!/usr/bin/env bash
# The pipeline as a button runs it (by hand or on its schedule): ingest → clean → export, each step
# shown as progress on the page and timed in the log, then the HTML report.
# The bundled data set is data/orders.csv; exports go to the data folder's files/exports/, and
# this run's CSV/JSON also to its artifacts folder, so they download from the run's page.
set -euo pipefail
here=$(dirname "$0")
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"

command -v python3 >/dev/null || { echo 'error: python3 is needed (Debian: apt-get install python3)' >&2; exit 2; }
data_dir=${SWITCHYARD_DATA_DIR:?run this from Switchyard, or set SWITCHYARD_DATA_DIR}
out="$data_dir/files/exports"
pause=${SWITCHYARD_PARAM_STEP_PAUSE_S:-0}
mkdir -p "$out"
# The run's scratch folder beside the exports (one file system, so the export's renames are atomic);
# removed however the run ends, so a failed run leaves no half-done work behind.
work=$(mktemp -d "$out/.work-XXXXXX")
trap 'rm -rf "$work"' EXIT

steps=(ingest clean export)
for i in "${!steps[@]}"; do
  step=${steps[$i]}
  case $step in
    ingest) args=("$here/../../data/orders.csv") ;;
    clean) args=("$SWITCHYARD_PARAMS_FILE") ;;
    export) args=("$out" "run-$SWITCHYARD_RUN_ID" "$SWITCHYARD_PARAMS_FILE") ;;
  esac
  sy_progress $((i * 100 / ${#steps[@]})) "Step $((i + 1)) of ${#steps[@]}: $step"
  echo "[$((i + 1))/${#steps[@]}] $step started at $(date -u +%H:%M:%S)"
  PIPELINE_STEP_STARTED=$(date +%s.%N) python3 "$here/steps.py" "$step" "$work" "${args[@]}"
  sleep "$pause"
done
python3 "$here/steps.py" report "$work" "$SWITCHYARD_REPORT_PATH"
# The run's files to download (orders.csv, orders.json): on its page, and the newest good run's at
# /page/pipeline/latest/run_pipeline/orders.csv for people and tokens.
for fmt in csv json; do
  made="$out/orders-run-$SWITCHYARD_RUN_ID.$fmt"
  if [ -f "$made" ] && [ -n "${SWITCHYARD_ARTIFACTS_DIR:-}" ]; then cp "$made" "$SWITCHYARD_ARTIFACTS_DIR/orders.$fmt"; fi
done
rows=$(sed -n 's/.*"rows": \([0-9]*\).*/\1/p' "$work/export.json")
sy_progress 100 "Done: $rows rows exported"
