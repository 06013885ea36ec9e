# Helpers for task scripts run by Switchyard. Source it:  . "$(dirname "$0")/../lib/switchyard.sh"

# sy_progress PERCENT MESSAGE: report progress (0-100) and a short message to the page.
# Written atomically (temporary file, then rename) so the runner never reads half a file.
sy_progress() {
  local pct="$1" msg="${2:-}"
  [ -n "${SWITCHYARD_STATUS_FILE:-}" ] || return 0
  msg=${msg//\\/\\\\}; msg=${msg//\"/\\\"}; msg=${msg//$'\n'/ }; msg=${msg//$'\t'/ }
  printf '{"progress": %s, "message": "%s"}\n' "$pct" "$msg" > "$SWITCHYARD_STATUS_FILE.tmp.$$"
  mv -f "$SWITCHYARD_STATUS_FILE.tmp.$$" "$SWITCHYARD_STATUS_FILE"
}

# sy_html TEXT: TEXT with &, <, > and quotes escaped, for HTML reports.
sy_html() {
  local s="$1"
  s=${s//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//\"/&quot;}; s=${s//\'/&#39;}
  printf '%s' "$s"
}

# sy_metric NAME NUMBER: a figure of this run (archive_bytes 52428800, rows 249), kept with it when
# it ends; a button's metrics: in config.yaml charts it on the dashboard. Saying a name again replaces it.
sy_metric() {
  [ -n "${SWITCHYARD_METRICS_FILE:-}" ] || return 0
  printf '%s %s\n' "$1" "$2" >> "$SWITCHYARD_METRICS_FILE"
}

# sy_notify WHO: ask that WHO (a Switchyard user name or an email address) be told of this run's
# end; an email target with run_recipients: in config.yaml decides whom it really tells.
sy_notify() {
  [ -n "${SWITCHYARD_NOTIFY_FILE:-}" ] || return 0
  printf '%s\n' "$1" >> "$SWITCHYARD_NOTIFY_FILE"
}
