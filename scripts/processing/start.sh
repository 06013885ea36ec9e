#!/usr/bin/env bash
# Data processing pipeline: walks the inputs directory through five steps,
# reporting progress after each, and writes an HTML report and a CSV summary.
# Parameters: SWITCHYARD_PARAM_INPUTS_DIRECTORY.  Step length: SWITCHYARD_STEP_SECONDS (default 1).
set -euo pipefail
. "$(dirname "$0")/../lib/switchyard.sh"

inputs="${SWITCHYARD_PARAM_INPUTS_DIRECTORY:-}"
pause="${SWITCHYARD_STEP_SECONDS:-1}"
steps=(ingest validate transform aggregate publish)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

echo "Run ${SWITCHYARD_RUN_ID}: processing ${inputs}"
if [ -d "$inputs" ]; then
  files=$(find "$inputs" -maxdepth 1 -type f | wc -l)
else
  echo "warning: ${inputs} is not a directory on this host; processing an empty set" >&2
  files=0
fi

rows=""
csv="step,name,files,result"
for i in "${!steps[@]}"; do
  step=${steps[$i]}
  sy_progress $(( i * 100 / ${#steps[@]} )) "Step $((i + 1)) of ${#steps[@]}: ${step}"
  echo "[$((i + 1))/${#steps[@]}] ${step}: ${files} file(s)"
  sleep "$pause"
  rows+="<tr><td>$((i + 1))</td><td>${step}</td><td>${files}</td><td>ok</td></tr>"
  csv+=$'\n'"$((i + 1)),${step},${files},ok"
done
sy_progress 100 "Done: ${files} file(s) processed"

cat > "$SWITCHYARD_REPORT_PATH" <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Processing report</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;color:#0f172a}table{border-collapse:collapse}td,th{border:1px solid #cbd5e1;padding:.3rem .6rem;text-align:left}</style>
</head><body>
<h1>Processing report</h1>
<p>Run ${SWITCHYARD_RUN_ID}, started ${started}, inputs <code>$(sy_html "$inputs")</code>.</p>
<table><thead><tr><th>#</th><th>Step</th><th>Files</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
HTML
echo "Report written to ${SWITCHYARD_REPORT_PATH}"

# The same table as a file to download from the run page (its "Files"), and at
# /page/data-processing/latest/start_processing/summary.csv for other tools.
if [ -n "${SWITCHYARD_ARTIFACTS_DIR:-}" ]; then
  printf '%s\n' "$csv" > "$SWITCHYARD_ARTIFACTS_DIR/summary.csv"
  echo "summary.csv written"
fi
