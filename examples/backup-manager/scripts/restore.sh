#!/usr/bin/env bash
# Restores an archive into a new (or empty) folder below the restore root: checks its SHA-256,
# unpacks it into a temporary folder beside the target, then renames that into place, so the
# target is either absent or whole, and nothing that existed is ever overwritten.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "${SWITCHYARD_LIB:?start this from a Switchyard runner, or set SWITCHYARD_LIB to the scripts/lib folder of Switchyard}/switchyard.sh"
. "$here/lib/backup-common.sh"

progress=0
archive=${SWITCHYARD_PARAM_ARCHIVE:-}
[[ $archive =~ ^[a-z][a-z0-9-]*-[0-9]{8}T[0-9]{6}Z\.tar(\.gz|\.xz)?$ ]] \
  || fail "'$archive' is not an archive's name such as documents-20261126T023000Z.tar.gz"
target_rel=$(relative_path "${SWITCHYARD_PARAM_TARGET:-}" "the target folder")
file="$(archive_dir)/$archive"
[[ -f $file ]] || fail "there is no archive $archive (List archives shows those kept)"
case $archive in *.gz) flag=-z ;; *.xz) flag=-J ;; *) flag= ;; esac

progress=5
sy_progress 5 "Checking $archive"
if [[ -f $file.sha256 ]]; then
  (cd "$(archive_dir)" && sha256sum --quiet -c -- "$archive.sha256") >&2 \
    || fail "$archive does not match its SHA-256: it is damaged or was changed; nothing was restored"
else
  echo "Warning: $archive has no .sha256 beside it; it is restored unchecked" >&2
fi
# The sizes in the listing give the progress's 100 %; reading it also proves the archive whole.
listing=$(tar -tv $flag -f "$file") || fail "$archive cannot be read; nothing was restored"
read -r bytes files < <(awk '{s += $3; if ($1 ~ /^-/) n++} END {print s + 0, n + 0}' <<< "$listing")

root=${BACKUP_RESTORE_ROOT:-${SWITCHYARD_DATA_DIR:?}/files/restored}
target="$root/$target_rel"
mkdir -p -- "$root"
# Checked on the nearest folder that exists before making the rest, so a link below the root
# never gets folders made outside it.
existing=$(dirname -- "$target")
while [[ ! -e $existing ]]; do existing=$(dirname -- "$existing"); done
inside "$existing" "$root" || fail "$target_rel leads outside $root"
mkdir -p -- "$(dirname -- "$target")"
if [[ -e $target || -L $target ]]; then
  [[ -d $target && ! -L $target ]] && [[ -z $(ls -A -- "$target") ]] \
    || fail "$target_rel exists and is not an empty folder; nothing was restored (choose a new target)"
fi

tmp=$(mktemp -d -- "$(dirname -- "$target")/.restoring.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
echo "Restoring $archive ($files files, $(human "$bytes")) into $target_rel"
progress_message="Unpacking"
set +e
# --no-same-owner: files belong to whoever runs the restore. GNU tar refuses members with .. and
# strips a leading /, so nothing lands outside the temporary folder.
tar -x $flag -f "$file" -C "$tmp" --no-same-owner --checkpoint=10 --checkpoint-action=echo=%u 2>&1 \
  | tar_progress 10 90 "$bytes"
rc=${PIPESTATUS[0]}
set -e
((rc == 0)) || fail "tar stopped with exit code $rc; nothing was restored"

progress=95
sy_progress 95 "Putting the folder in place"
chmod 755 -- "$tmp" # mktemp made it private; the restored folder reads like the original
# mv -T renames the folder itself (never into the target): onto an empty folder it replaces it,
# onto one that filled up meanwhile it fails, and the temporary folder goes with the trap.
mv -T -- "$tmp" "$target" 2>/dev/null || fail "$target_rel filled up while unpacking; nothing was restored there"
restored=$(find "$target" -type f | wc -l)
{
  echo "Restored $archive into $target"
  echo "$restored files, $(human "$bytes")"
  echo
  (cd "$target" && find . -type f | sort | head -n 200)
} > "${SWITCHYARD_REPORT_PATH:-/dev/null}"
sy_progress 100 "Restored $archive into $target_rel: $restored files, $(human "$bytes")"
