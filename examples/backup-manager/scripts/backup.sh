#!/usr/bin/env bash
# A backup job: the page's folder as one tar archive (gzip, xz or none) in the archive folder,
# written under a temporary name, checked, then renamed into place with its SHA-256 beside it;
# then the job's old archives are pruned. Progress comes from tar's checkpoints. The run's
# message and its HTML report give the archive's size, and its figures (sy_metric) chart it on the dashboard.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"
. "$here/lib/backup-common.sh"

progress=0
job=${SWITCHYARD_PARAM_JOB:-}
[[ $job =~ ^[a-z][a-z0-9-]{0,39}$ ]] || fail "the job name must be lower-case letters, digits and -, not '$job'"
source_rel=$(relative_path "${SWITCHYARD_PARAM_SOURCE:-}" "the folder to back up")
keep_count=${SWITCHYARD_PARAM_KEEP_COUNT:-}
keep_days=${SWITCHYARD_PARAM_KEEP_DAYS:-}
[[ $keep_count =~ ^[0-9]+$ && $keep_count -ge 1 ]] || fail "keep the newest must be a whole number from 1, not '$keep_count'"
[[ $keep_days =~ ^[0-9]+$ ]] || fail "keep for (days) must be a whole number, not '$keep_days'"

case ${SWITCHYARD_PARAM_COMPRESSION:-gzip} in
  gzip) flag=-z; ext=.tar.gz ;;
  xz) command -v xz >/dev/null || fail "xz compression needs the xz command (Debian: apt-get install xz-utils); choose gzip"; flag=-J; ext=.tar.xz ;;
  none) flag=; ext=.tar ;;
  *) fail "unknown compression '${SWITCHYARD_PARAM_COMPRESSION}'" ;;
esac

# The source: below the source root, even once links are followed.
source_root=${BACKUP_SOURCE_ROOT:-$PWD}
src="$source_root/$source_rel"
[[ -d $src ]] || fail "no folder $source_rel below $source_root"
inside "$src" "$source_root" || fail "$source_rel leads outside $source_root"

dir=$(archive_dir)
mkdir -p -- "$dir"
# An archive folder inside the source would put every archive into the next one.
! inside "$dir" "$src" || fail "the archive folder $dir lies inside $source_rel; back up another folder"

excludes=()
while IFS= read -r pattern; do
  [[ -n ${pattern//[[:space:]]/} ]] && excludes+=("--exclude=$pattern")
done <<< "${SWITCHYARD_PARAM_EXCLUDE:-}"

name="$job-$(date -u +%Y%m%dT%H%M%SZ)$ext"
final="$dir/$name"
tmp="$dir/.$name.partial.$$"
trap 'rm -f -- "$tmp" "$tmp.sha256"' EXIT

progress=2
sy_progress 2 "Measuring $source_rel"
# Before the leave-out patterns: an estimate for the progress bar only.
read -r estimate < <(find "$src" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
echo "Backing up $source_rel into $name"

# Exit 1 from GNU tar means a file changed while it was read: the archive is whole, so say it and go on.
progress_message="Archiving"
set +e
tar -c $flag -f "$tmp" -C "$src" --checkpoint=10 --checkpoint-action=echo=%u "${excludes[@]}" . 2>&1 \
  | tar_progress 5 85 "$estimate"
rc=${PIPESTATUS[0]}
set -e
((rc <= 1)) || fail "tar stopped with exit code $rc; no archive was kept"
((rc == 0)) || echo "Warning: some files changed while they were read; their copies may be inconsistent" >&2

progress=88
sy_progress 88 "Checking the archive"
# Reading it back proves it whole, and its listing says what it holds (the leave-out patterns applied).
listing=$(tar -tv $flag -f "$tmp") || fail "the new archive cannot be read back; it was not kept"
read -r bytes files < <(awk '{s += $3; if ($1 ~ /^-/) n++} END {print s + 0, n + 0}' <<< "$listing")
sha=$(sha256sum -- "$tmp" | cut -d' ' -f1)
printf '%s  %s\n' "$sha" "$name" > "$tmp.sha256"

# ln refuses an existing name, atomically: two runs in the same second never overwrite each other.
ln -T -- "$tmp" "$final" 2>/dev/null || fail "$name exists already (two backups in the same second?); try again"
mv -f -T -- "$tmp.sha256" "$final.sha256"
rm -f -- "$tmp"
size=$(stat -c %s -- "$final")
echo "Wrote $name: $(human "$size") from $files files ($(human "$bytes")), sha256 $sha"
sy_metric archive_bytes "$size"
sy_metric source_bytes "$bytes"
sy_metric files "$files"

progress=92
sy_progress 92 "Removing old archives"
now=$(date -u +%s)
removed=()
i=0
while IFS= read -r old; do
  i=$((i + 1))
  ((i == 1)) && continue # the newest always stays
  age_days=$(((now - $(stamp_epoch "$old")) / 86400))
  if ((i > keep_count)) || ((keep_days > 0 && age_days >= keep_days)); then
    rm -f -- "$dir/$old" "$dir/$old.sha256"
    removed+=("$old")
    echo "Removed $old (archive $i, $age_days days old)"
  fi
done < <(archives_of "$job")
kept=$(archives_of "$job" | wc -l)

. "$here/lib/report.sh"
job_report "$job" "$name" "$files" "$bytes" "$size" "${removed[@]}" > "${SWITCHYARD_REPORT_PATH:-/dev/null}"

sy_progress 100 "$name: $(human "$size") from $files files ($(human "$bytes")); $kept kept, ${#removed[@]} removed"
