#!/usr/bin/env bash
# Runs the multi-threaded paths under ThreadSanitizer: a build of several files on two
# threads (two segments, then a parallel merge) and a batch answered by two threads.
# Any report fails the run.
#
#   scripts/tsan-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=/tmp/search-tsan-build
swift build --build-path "$build" --sanitize=thread --product search >&2
bin="$build/debug/search"
work=$(mktemp -d /tmp/search-tsan.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The sample report cut into eight files, so that each thread writes a segment.
mkdir -p "$work/docs"
split -n l/8 -d corpus/000_d4955fed3019d925.txt "$work/docs/part-"
for f in "$work"/docs/part-*; do mv "$f" "$f.txt"; done
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
"$bin" index --threads 2 --index "$work/index" "$work/docs" > "$work/index.out"
words=(復工復產 园区 黨建 疫情防控 非公企业 党组织 战斗堡垒 先锋模范 工作 发展)
for i in $(seq 0 199); do echo "${words[$((i % 10))]} ${words[$(((i * 7) % 10))]}"; done > "$work/queries.txt"
"$bin" batch --threads 2 --index "$work/index" "$work/queries.txt" > "$work/batch.json"
"$bin" batch --threads 1 --index "$work/index" "$work/queries.txt" > "$work/batch1.json"
cmp -s "$work/batch.json" "$work/batch1.json" || { echo "tsan-test: two threads answered differently from one" >&2; exit 1; }
echo "tsan-test: $(cat "$work/index.out"); $(wc -l < "$work/batch.json") answers on two threads; no ThreadSanitizer report"
