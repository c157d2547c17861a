#!/usr/bin/env bash
# Builds the libFuzzer targets (with AddressSanitizer) and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]     (default: 600 s; FuzzQuery FuzzDocuments FuzzIndex)
#
# Corpora live in /tmp/search-fuzz/<target>; a crashing input is saved as
# /tmp/search-fuzz/crashes/<target>-crash-…: copy it to Tests/Fixtures/fuzz/<target>/ so the
# regression tests replay it forever. (lld links these; gold fails on their debug info.)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzQuery FuzzDocuments FuzzIndex)
work=/tmp/search-fuzz
mkdir -p "$work/crashes"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
for target in "${targets[@]}"; do
  swift build -c release --scratch-path .build-fuzz --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
  corpus="$work/$target"
  mkdir -p "$corpus"
  case "$target" in
    FuzzQuery)
      printf '復工復產' > "$corpus/seed-1"; printf '"工業 園區" -pm2.5 OR 100%%' > "$corpus/seed-2"
      printf '谁可以成为个体工商户？' > "$corpus/seed-3"
      printf '園區, 工业 => 经济发展 # x\n工資, 薪水\n园区 工資复产' > "$corpus/seed-4" ;;
    FuzzDocuments)
      head -c 4000 corpus/*.txt > "$corpus/seed-1"
      printf '{"_id":"a","title":"t","text":"工業園區"}\n{"id":"b","contents":"x"}\n' > "$corpus/seed-2"
      printf '第____條 カタカナ中文の PM2.5 a_中 1,000元 é́中 ก中' > "$corpus/seed-3" ;;
    FuzzIndex)
      export FUZZ_SEED_DIR="$corpus" ;;
  esac
  [ -d "Tests/Fixtures/fuzz/$target" ] && cp Tests/Fixtures/fuzz/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "== $target: $seconds s"
  ".build-fuzz/release/$target" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -artifact_prefix="$work/crashes/$target-" -print_final_stats=1 2>&1 | tail -n 25 | grep -E 'stat::number_of_executed_units|stat::peak_rss|Done|ERROR|SUMMARY|crash|deadly' || true
done
ls "$work/crashes"
