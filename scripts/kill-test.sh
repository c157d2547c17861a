#!/usr/bin/env bash
# Crash test: SIGKILL `search index` at random moments while it applies adds, changes and
# deletes, and check after every kill that the index opens, passes `search verify`, and
# answers from one whole commit (never a mixture of two).
#
#   scripts/kill-test.sh [KILLS] [SEARCH_BINARY]      (default: 200 kills, .build/release/search)
#
# Every round rewrites all tagged documents with the round's tag, deletes one and adds
# one; so in any commit, every tagged document carries the same tag. After a kill, the
# documents found for each tag must be all of them for one tag and none for the others.
set -euo pipefail
kills=${1:-200}
bin=$(realpath "${2:-.build/release/search}")
script_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/search-kill-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p corpus
tagged=30
seed_text=$(head -c 60000 "$script_dir/../corpus/"*.txt 2>/dev/null || true)
[ -n "$seed_text" ] || seed_text=$(printf '經濟社會發展，復工復產，園區建設。%.0s' $(seq 2000))
for i in $(seq 1 200); do printf '%s\n背景文件%d\n' "$seed_text" "$i" > "corpus/base$i.txt"; done

write_round() {  # round number
  local r=$1
  rm -f corpus/tagged-*.txt
  for i in $(seq 1 $tagged); do
    printf '標記R%dX%s\n第%d號\n%s\n' "$r" "$r" "$i" "$seed_text" > "corpus/tagged-$r-$i.txt"
  done
}

count_tag() {  # tag → number of documents containing it
  "$bin" --json -k 0 "標記R$1X$1" 2>/dev/null | sed -n 's/.*"exact":\([0-9]*\).*/\1/p' | head -1
}

write_round 0
"$bin" index corpus > /dev/null
committed=0
killed_mid_run=0
for r in $(seq 1 "$kills"); do
  write_round "$r"
  "$bin" index corpus > /dev/null 2>&1 &
  pid=$!
  # A random moment within the run (0–${KILL_WINDOW_MS:-250} ms).
  sleep "0.$(printf '%03d' $((RANDOM % ${KILL_WINDOW_MS:-250})))"
  if kill -0 "$pid" 2>/dev/null; then killed_mid_run=$((killed_mid_run + 1)); fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if ! "$bin" verify > "$work/verify.out" 2>&1; then
    echo "kill $r: verify failed"; cat "$work/verify.out"; exit 1
  fi
  # Which commit are we at? Exactly one tag (this round's or an earlier one) must be whole.
  now=$(count_tag "$r"); now=${now:-0}
  if [ "$now" = "$tagged" ]; then
    committed=$r
  else
    before=$(count_tag "$committed"); before=${before:-0}
    if [ "$now" != "0" ] || [ "$before" != "$tagged" ]; then
      echo "kill $r: mixed commit: tag $r in $now documents, tag $committed in $before (expected 0 and $tagged)"; exit 1
    fi
  fi
  # No other tag may survive: all tagged documents together are exactly one round's.
  all=$("$bin" --json -k 0 "標記R" 2>/dev/null | sed -n 's/.*"exact":\([0-9]*\).*/\1/p' | head -1)
  if [ "${all:-0}" != "$tagged" ]; then echo "kill $r: $all tagged documents, expected $tagged"; exit 1; fi
done
# A writer after the last kill finishes the job and leaves nothing behind.
"$bin" index corpus > /dev/null
[ "$(count_tag "$kills")" = "$tagged" ] || { echo "final update incomplete"; exit 1; }
leftovers=$(ls index | grep -v -E '^(MANIFEST|LOCK|seg_[0-9]+\.seg|seg_[0-9]+_[0-9]+\.del)$' || true)
[ -z "$leftovers" ] || { echo "leftover files: $leftovers"; exit 1; }
echo "kill test: $kills kills ($killed_mid_run during a run), every index verified and whole"
echo "$kills passed, 0 failed"
