#!/usr/bin/env bash
# Makes the newest export this run's report (as text), so its run page shows it and
# /runs/<id>/report serves it as a plain file to save. Switchyard has no downloads of
# run files of its own; this is the closest it allows.
set -euo pipefail
data_dir=${SWITCHYARD_DATA_DIR:?run this from Switchyard, or set SWITCHYARD_DATA_DIR}
latest="$data_dir/reports/exports/latest.csv"
if [ ! -f "$latest" ]; then
  echo "error: no CSV export yet: run the pipeline first (with csv among its formats)" >&2
  exit 1
fi
cat "$data_dir/reports/exports/latest.meta.json"
# Copied through a temporary file in the report's folder, so the report is never half a file.
mkdir -p "$(dirname "$SWITCHYARD_REPORT_PATH")"
tmp=$(mktemp "$(dirname "$SWITCHYARD_REPORT_PATH")/.latest-XXXXXX")
trap 'rm -f "$tmp"' EXIT
cp "$latest" "$tmp"
mv -f "$tmp" "$SWITCHYARD_REPORT_PATH"
echo "latest.csv: $(($(wc -l < "$SWITCHYARD_REPORT_PATH") - 1)) rows, now this run's report"
