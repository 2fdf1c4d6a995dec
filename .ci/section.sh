#!/usr/bin/env bash
# Run one CI phase under a visible header and print how long it took, so slow phases stand out.
#   .ci/section.sh "title" command [args...]
set -euo pipefail
title=$1
shift
start=$(date +%s)
printf '\n==> %s  [%s]\n' "$title" "$(date -u +%H:%M:%SZ)"
status=0
"$@" || status=$?
printf '<== %s: %ss%s\n' "$title" "$(($(date +%s) - start))" "$([ "$status" -eq 0 ] || echo "  FAILED (exit $status)")"
exit "$status"
