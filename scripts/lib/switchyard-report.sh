# Report a pipeline that Switchyard does not start (cron, another CI system) as a run of a
# button, one line per step. Needs bash 4.4+ and curl. Source it:
#
#   . scripts/lib/switchyard-report.sh            # SWITCHYARD_URL, SWITCHYARD_TOKEN set
#   sy_start nightly-export run_export            # creates the run (SY_RUN_ID, SY_RUN_URL, SY_RUN_JSON)
#   sy_start ops deploy ticket=OPS-12 count=3     # … with the button's inputs, checked like the dialog's
#   sy_step 10 "dumping" -- ./dump.sh             # shows 10 % "dumping", the output goes to the log
#   sy_log "a line" "another"                     # log lines (sy_log -e … for stderr; sy_log - reads stdin)
#   sy_progress 90 "uploading"
#   sy_finish 0 report.html                       # exit code → succeeded/failed; report optional
#
# sy_start sets an EXIT trap (it replaces one set before): a pipeline that exits without
# sy_finish, say under `set -e`, finishes its run with its exit status. Clean-up of your own goes
# in `sy_on_exit 'rm -rf "$work"'` (run at exit, before the run is finished), not in a trap.
# SY_RUN_JSON is a file holding the run as created (its values in .run.params, its inputs in
# .run.inputs), so the pipeline uses exactly what the run's page shows. A failing sy_step
# finishes the run failed and returns the command's status. A cancel asked for on the run's
# page comes back in the answer to a report: the next sy_step (or the one running, once its
# command ends) finishes the run cancelled and exits the script with 143.
#
# Reporting never stops the pipeline: when Switchyard cannot be reached or refuses, a warning
# goes to stderr and the pipeline goes on. SWITCHYARD_SILENCE_S (seconds) is how long the
# pipeline may go without reporting before its run is lost (Switchyard's default: an hour).
# Text goes as a form (--data-urlencode) or plain text, so nothing needs JSON escaping; the
# token goes in a header file, not on curl's command line where `ps` would show it.
# (Scripts that a Switchyard runner starts use lib/switchyard.sh instead.)

SY_RUN_ID=''
SY_RUN_URL=''
SY__DIR=''
SY__FINISHED=''
SY_RUN_JSON=''
SY__ON_EXIT=()

sy__warn() { printf 'switchyard-report: %s\n' "$*" >&2; }

# sy__post PATH [CURL ARGS…]: POST to the API; the answer's body in SY__BODY. Never fails the caller's
# pipeline: returns 1 (after a warning) when curl fails or Switchyard refuses.
sy__post() {
  local path=$1 out status
  shift
  [[ -n $SY__DIR ]] || return 1
  out=$(curl -q --silent --show-error --max-time "${SWITCHYARD_CURL_TIMEOUT:-30}" -X POST \
    -H @"$SY__DIR/auth" -w '\n%{http_code}' "${SWITCHYARD_URL%/}/api/v1/$path" "$@" 2>&1)
  status=${out##*$'\n'}
  SY__BODY=${out%$'\n'*}
  if [[ ! $status =~ ^[0-9]+$ || $status -ge 400 || $status -lt 200 ]]; then
    sy__warn "POST $path failed (${status:-no answer}): $SY__BODY"
    return 1
  fi
  if [[ $SY__BODY == *'"cancel_requested":true'* ]]; then : > "$SY__DIR/cancel"; fi
  return 0
}

# sy__open: whether there is a run to report on (warns once when sy_start did not create one).
sy__open() {
  [[ -n $SY_RUN_ID && -z $SY__FINISHED ]] && return 0
  if [[ -z $SY_RUN_ID && -z ${SY__WARNED:-} ]]; then SY__WARNED=1; sy__warn 'no run to report on (sy_start did not create one)'; fi
  return 1
}

# sy_start PAGE BUTTON [NAME=VALUE…]: creates a running run of the button with the page's current
# values and the button's inputs given as NAME=VALUE (a multiselect's options one per line).
sy_start() {
  local page=$1 button=$2 form=() kv
  shift 2
  for kv in "$@"; do form+=(--data-urlencode "input.${kv%%=*}=${kv#*=}"); done
  if [[ -z ${SWITCHYARD_URL:-} || -z ${SWITCHYARD_TOKEN:-} ]]; then sy__warn 'set SWITCHYARD_URL and SWITCHYARD_TOKEN to report this run'; return 0; fi
  command -v curl >/dev/null 2>&1 || { sy__warn 'curl is not installed; this run is not reported'; return 0; }
  SY__DIR=$(umask 077 && mktemp -d) || { sy__warn 'cannot make a temporary folder'; return 0; }
  printf 'Authorization: Bearer %s\n' "$SWITCHYARD_TOKEN" > "$SY__DIR/auth"
  SY__FINISHED=''
  trap 'sy__on_exit $?' EXIT
  [[ -n ${SWITCHYARD_SILENCE_S:-} ]] && form+=(--data-urlencode "silence_s=$SWITCHYARD_SILENCE_S")
  sy__post "pages/$(sy__path "$page")/buttons/$(sy__path "$button")/external-runs" "${form[@]}" || return 0
  [[ $SY__BODY =~ ^\{\"id\":([0-9]+) ]] && SY_RUN_ID=${BASH_REMATCH[1]}
  SY_RUN_JSON="$SY__DIR/run.json"
  printf '%s\n' "$SY__BODY" > "$SY_RUN_JSON"
  SY_RUN_URL="${SWITCHYARD_URL%/}/runs/$SY_RUN_ID"
  printf 'switchyard-report: reporting as run %s: %s\n' "$SY_RUN_ID" "$SY_RUN_URL" >&2
}

# A page slug or button name as one path segment (they are plain names; only odd characters are encoded).
sy__path() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    if [[ $c =~ [A-Za-z0-9._~-] ]]; then out+=$c; else out+=$(printf '%%%02X' "'$c"); fi
  done
  printf '%s' "$out"
}

# sy_log [-e] LINE…: log lines (stdout, or stderr with -e); `sy_log [-e] -` sends stdin, line by line.
sy_log() {
  local stream=stdout
  [[ ${1:-} == -e ]] && { stream=stderr; shift; }
  sy__open || return 0
  if [[ ${1:-} == - ]]; then
    sy__pump "$stream" ''
  else
    printf '%s\n' "$@" | sy__post "runs/$SY_RUN_ID/log?stream=$stream" -H 'Content-Type: text/plain; charset=utf-8' --data-binary @- || true
  fi
}

# sy_progress PERCENT [MESSAGE]: the run's progress (0-100) and message.
sy_progress() {
  sy__open || return 0
  sy__post "runs/$SY_RUN_ID/progress" --data-urlencode "progress=$1" --data-urlencode "message=${2:-}" || true
}

# sy_finish EXIT_CODE [REPORT_FILE] [STATE]: ends the run: succeeded for 0, failed otherwise, or STATE
# (succeeded, failed, cancelled, timed_out); cancelled when a cancel was asked and the code is not 0.
# A report file ending in .html or .htm is shown as HTML, any other as text.
sy_finish() {
  local code=${1:-0} report=${2:-} state=${3:-} form
  sy__open || return 0
  [[ -z $state && $code != 0 && -e $SY__DIR/cancel ]] && state=cancelled
  form=(--data-urlencode "exit_code=$code" --data-urlencode "state=$state")
  if [[ -n $report ]]; then
    if [[ -r $report ]]; then
      local type=text
      [[ ${report,,} == *.html || ${report,,} == *.htm ]] && type=html
      form+=(--data-urlencode "report_type=$type" --data-urlencode "report@$report")
    else
      sy__warn "report $report cannot be read; finishing without it"
    fi
  fi
  # Finished even when the call fails: the run is then lost after its silence, not finished twice.
  SY__FINISHED=1
  sy__post "runs/$SY_RUN_ID/finish" "${form[@]}" || true
}

# sy__stop_if_cancelled: a cancel was asked: finish cancelled and stop the pipeline, as a runner stops its script.
sy__stop_if_cancelled() {
  [[ -n $SY__DIR && -e $SY__DIR/cancel && -n $SY_RUN_ID && -z $SY__FINISHED ]] || return 0
  sy__warn "run $SY_RUN_ID was cancelled on its page; stopping"
  sy_finish 143 '' cancelled
  exit 143
}

# sy__flush: sends sy__pump's batch (its locals stream, batch, n and last, seen through bash's dynamic scope).
sy__flush() {
  if ((n > 0)); then
    sy__post "runs/$SY_RUN_ID/log?stream=$stream" -H 'Content-Type: text/plain; charset=utf-8' --data-binary @"$batch" || true
    : > "$batch"
    n=0
  fi
  last=$SECONDS
}

# sy__pump STREAM [FD]: sends stdin's lines to the run's log in batches (every second, or 200 lines), copying
# them to FD if one is given.
sy__pump() {
  local stream=$1 fd=$2 batch line partial='' n=0 last=$SECONDS rc
  batch="$SY__DIR/batch.$stream.$BASHPID"
  : > "$batch"
  while :; do
    line=''
    # Its status kept, not tested: at the end of the input a caller's set -e must not end the script here.
    IFS= read -r -t 1 line && rc=0 || rc=$?
    if ((rc > 128)); then
      partial+=$line # a line still being written: the rest comes with the next read
    elif ((rc == 0)) || [[ -n $partial$line ]]; then
      [[ -n $fd ]] && printf '%s\n' "$partial$line" >&"$fd"
      printf '%s\n' "$partial$line" >> "$batch"
      partial=''
      ((n += 1))
    fi
    ((rc != 0 && rc <= 128)) && break
    if ((n >= 200 || SECONDS != last)); then sy__flush; fi
  done
  sy__flush
  rm -f "$batch"
}

# sy_step PERCENT MESSAGE -- COMMAND…: shows PERCENT and MESSAGE, runs COMMAND with its output (stdout and
# stderr apart) in the log as well as on this script's own, and on a non-zero exit finishes the run failed
# and returns that status. Each stream keeps its order; the two are sent apart, so a stdout line and a
# stderr line printed close together may appear in the log in either order.
sy_step() {
  local pct=$1 msg=$2 rc out err
  shift 2
  [[ ${1:-} == -- ]] && shift
  sy__stop_if_cancelled
  sy_progress "$pct" "$msg"
  if ! sy__open; then "$@"; return; fi
  # Options local to this function: the caller's set -e or pipefail must not stop it before it reports.
  local -
  set +e +o pipefail
  exec {out}>&1 {err}>&2
  # The stderr pump is started and waited for inside the pipeline's first part (a subshell of its
  # own), so when the pipeline ends both pumps have sent their last lines. The braces make this
  # shell, not the command's own process, open the redirection, so $! is the pump.
  { { "$@"; } 2> >(sy__pump stderr "$err"); rc=$?; wait $! 2>/dev/null; exit "$rc"; } | sy__pump stdout "$out"
  rc=${PIPESTATUS[0]}
  exec {out}>&- {err}>&-
  sy__stop_if_cancelled
  if ((rc != 0)); then
    sy_log -e "step \"$msg\" failed with exit code $rc"
    sy_finish "$rc"
  fi
  return "$rc"
}

# sy_on_exit COMMAND: run COMMAND (with eval) when the script exits, before its run is finished.
sy_on_exit() { SY__ON_EXIT+=("$1"); }

sy__on_exit() {
  local code=$1 cmd
  for cmd in "${SY__ON_EXIT[@]}"; do eval "$cmd" || sy__warn "at exit, failed: $cmd"; done
  if [[ -n $SY_RUN_ID && -z $SY__FINISHED ]]; then sy_finish "$code"; fi
  [[ -n $SY__DIR ]] && rm -rf "$SY__DIR"
  return "$code"
}
