# Shared by the backup manager's scripts. Source it after switchyard.sh.

# Cancel and timeout send SIGTERM to the script's group; bash runs an EXIT trap (which removes the
# temporary archive or folder) on exit, but not when a signal kills it, so a signal becomes an exit.
trap 'exit 143' TERM INT HUP

# fail MESSAGE: says why in the log and on the page, and stops the run as failed.
fail() {
  echo "Error: $1" >&2
  sy_progress "${progress:-0}" "Failed: $1"
  exit 1
}

# relative_path VALUE WHAT: VALUE if it is a plain relative path (no leading /, no . or .. part,
# no control characters); fails otherwise. The page's pattern says the same, but a script must
# not trust that the value came through the form.
relative_path() {
  local value=$1 what=$2 part parts
  [[ -n $value ]] || fail "$what is empty"
  [[ $value != /* ]] || fail "$what must be relative, not $value"
  [[ $value != *[[:cntrl:]]* ]] || fail "$what holds control characters"
  IFS=/ read -r -a parts <<< "$value"
  for part in "${parts[@]}"; do
    [[ -n $part && $part != . && $part != .. ]] || fail "$what may not have empty, . or .. parts: $value"
  done
  printf '%s' "$value"
}

# inside CHILD PARENT: whether CHILD (an existing path) is PARENT or below it, once links are followed.
inside() {
  local child parent
  child=$(realpath -e -- "$1") && parent=$(realpath -e -- "$2") || return 1
  [[ $child == "$parent" || $child == "$parent"/* ]]
}

# Where the archives live: files/archives/ of the data folder (files/ is the scripts' own, which
# Switchyard never touches) unless the operator names another.
archive_dir() { printf '%s' "${BACKUP_ARCHIVE_DIR:-${SWITCHYARD_DATA_DIR:?}/files/archives}"; }

# human BYTES: 1.5 MiB and the like.
human() { if (($1 < 1024)); then echo "$1 B"; else numfmt --to=iec-i --suffix=B --format=%.1f "$1" | sed -E 's/([0-9])([KMGTPE]iB)$/\1 \2/'; fi; }

# html TEXT: TEXT escaped for an HTML report.
html() { sy_html "$1"; }

# archives_of JOB: the job's archives, newest first (the UTC stamp in the name sorts by time).
archives_of() {
  local dir
  dir=$(archive_dir)
  [[ -d $dir ]] || return 0
  find "$dir" -maxdepth 1 -type f -regextype posix-extended \
    -regex ".*/$1-[0-9]{8}T[0-9]{6}Z\.tar(\.gz|\.xz)?" -printf '%f\n' | sort -r
}

# stamp_epoch NAME: the seconds since 1970 of the UTC stamp in an archive's name.
stamp_epoch() {
  local s
  s=$(grep -oE '[0-9]{8}T[0-9]{6}Z' <<< "$1")
  date -u -d "${s:0:4}-${s:4:2}-${s:6:2} ${s:9:2}:${s:11:2}:${s:13:2}" +%s
}

# tar_progress FROM TO TOTAL_BYTES: reads tar's output; its checkpoint lines ("tar: N", one per
# record of 10 KiB) become progress between FROM and TO, anything else goes to the log.
tar_progress() {
  local from=$1 to=$2 total=$3 line n pct last=-1
  ((total > 0)) || total=1
  while IFS= read -r line; do
    if [[ $line =~ ^tar:\ ([0-9]+)$ ]]; then
      n=${BASH_REMATCH[1]}
      pct=$((from + (to - from) * n * 10240 / total))
      ((pct > to)) && pct=$to
      if ((pct != last)); then sy_progress "$pct" "$progress_message $((pct))%"; last=$pct; fi
    else
      echo "$line" >&2
    fi
  done
}
