# HTML reports of the backup manager. Source it after backup-common.sh.

report_head() {
  printf '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>\n' "$(html "$1")"
  printf '<style>body{font:14px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse}'
  printf 'th,td{padding:.25rem .75rem;border-bottom:1px solid #ccc;text-align:left}td.n{text-align:right}</style></head><body>\n'
  printf '<h1>%s</h1>\n' "$(html "$1")"
}

# archive_table JOB: the job's archives, newest first, with size and age.
archive_table() {
  local dir name size total=0 now
  dir=$(archive_dir)
  now=$(date -u +%s)
  printf '<table><caption>Archives of %s</caption>\n' "$(html "$1")"
  printf '<tr><th scope="col">Archive</th><th scope="col">Size</th><th scope="col">Age</th></tr>\n'
  while IFS= read -r name; do
    size=$(stat -c %s -- "$dir/$name")
    total=$((total + size))
    printf '<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td></tr>\n' \
      "$(html "$name")" "$(human "$size")" "$(age $((now - $(stamp_epoch "$name"))))"
  done < <(archives_of "$1")
  printf '<tr><th scope="row">Total</th><td class="n">%s</td><td></td></tr></table>\n' "$(human "$total")"
}

# age SECONDS: 3 min, 5 h, 2 d.
age() {
  if (($1 < 3600)); then echo "$(($1 / 60)) min"; elif (($1 < 172800)); then echo "$(($1 / 3600)) h"; else echo "$(($1 / 86400)) d"; fi
}

# job_report JOB NAME FILES BYTES SIZE [REMOVED…]: what one backup did, and what is kept.
job_report() {
  local job=$1 name=$2 files=$3 bytes=$4 size=$5 old
  shift 5
  report_head "Backup $job"
  printf '<p>Wrote <strong>%s</strong>: %s from %s files (%s).</p>\n' "$(html "$name")" "$(human "$size")" "$files" "$(human "$bytes")"
  if (($# > 0)); then
    printf '<p>Removed by the keep rules:</p><ul>\n'
    for old in "$@"; do printf '<li>%s</li>\n' "$(html "$old")"; done
    printf '</ul>\n'
  else
    printf '<p>No archive was old enough to remove.</p>\n'
  fi
  archive_table "$job"
  printf '</body></html>\n'
}
