#!/usr/bin/env bash
# Benchmarks `search` against the reference engines on the same corpora and queries, in one
# run on this machine, and writes docs/BENCHMARKS.md.
#
#   scripts/bench.sh [CORPUS_DIR…]
#
# Default corpora: ../shared/data/corpus-dev/docs, and /tmp/corpus-scale/docs when unpacked
# (mkdir -p /tmp/corpus-scale && tar -xJf ../shared/data/corpus-scale.tar.xz -C /tmp/corpus-scale),
# and /tmp/stard-articles/docs when written (scripts/stard-as-files.sh: STARD's articles, a file
# each, where article rescoring runs).
# Queries: the 55 dev queries of ../shared/bench plus the first 300 STARD questions.
# References (../shared/bench/run-anchors.sh, OR mode): lucene-icu, tantivy-icu, sqlite-trigram
# (override with ANCHORS=…). Needs: apt-get install -y liblucene8-java libicu4j-java time python3-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=$(cd ../shared && pwd)
out=/tmp/search-bench
mkdir -p "$out"
corpora=("$@")
if [ ${#corpora[@]} -eq 0 ]; then
  corpora=("$shared/data/corpus-dev/docs")
  [ -d /tmp/corpus-scale/docs ] && corpora+=(/tmp/corpus-scale/docs)
  [ -d /tmp/stard-articles/docs ] && corpora+=(/tmp/stard-articles/docs)
fi
swift build -c release --product search >&2
bin="$root/.build/release/search"
queries="$out/queries.txt"
{ grep -v '^#' "$shared/bench/queries-dev.txt"; head -300 "$shared/data/stard-train/queries.tsv" | cut -f2; } | grep -v '^$' > "$queries"
# Six passes over the queries: the first is warm-up (left out of the figures, as the reference
# harness measures after warm-up), five are measured.
for i in 1 2 3 4 5 6; do cat "$queries"; done > "$out/queries-x6.txt"
warmup=$(wc -l < "$queries")
export ANCHORS="${ANCHORS:-lucene-icu tantivy-icu sqlite-trigram}"

for corpus in "${corpora[@]}"; do
  name=$(basename "$(dirname "$corpus")")
  dir="$out/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  echo "== $name" >&2
  # Every engine builds from a warm page cache (the references run after us): read it all once.
  find "$corpus" -type f -print0 | xargs -0 cat > /dev/null
  # Full build.
  /usr/bin/time -v "$bin" index --index "$dir/index" "$corpus" > "$dir/index.out" 2> "$dir/index.time"
  # Unchanged re-run, and adding 10 documents (as a second root).
  start=$(date +%s.%N); "$bin" index --index "$dir/index" "$corpus" > "$dir/unchanged.out"; end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' > "$dir/unchanged.s"
  mkdir -p "$dir/extra"
  find "$corpus" -type f | sort | sed -n 1,10p | while read -r f; do { echo "新增文件"; cat "$f"; } > "$dir/extra/$(basename "$f")"; done
  start=$(date +%s.%N); "$bin" index --index "$dir/index" "$corpus" "$dir/extra" > "$dir/add10.out"; end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' > "$dir/add10.s"
  rm -rf "$dir/index"; "$bin" index --index "$dir/index" "$corpus" > /dev/null
  du -sb "$dir/index" | cut -f1 > "$dir/index.bytes"
  # Batch latency (in process; one warm-up pass, then the query file five times) and throughput.
  # One thread, as the references answer.
  "$bin" batch --index "$dir/index" --threads 1 --no-snippets --timings --warmup "$warmup" "$out/queries-x6.txt" > /dev/null 2> "$dir/batch.err"
  # The same queries as a user runs them: one process, JSON with a snippet a hit, a thread a
  # core (the default from 100 queries on; wall time).
  start=$(date +%s.%N); "$bin" batch --index "$dir/index" "$queries" > /dev/null; end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.3f\n", $2 - $1}' > "$dir/snippets.s"
  # Cold single query: a new process each time (median of 21).
  for i in $(seq 21); do
    s=$(date +%s%N); "$bin" --index "$dir/index" "復工復產" > /dev/null || true; e=$(date +%s%N)
    echo $(( (e - s) / 1000 ))
  done | sort -n | sed -n 11p > "$dir/cold.us"
  # References, same corpus and queries, in the same run.
  MODES=or REPEAT=5 "$shared/bench/run-anchors.sh" "$corpus" "$queries" "$dir/anchors" > "$dir/anchors.log" 2>&1 || echo "anchors failed: see $dir/anchors.log" >&2
  # Build speed against Lucene-ICU's as medians of three builds each, taken in turn (one build
  # each, as above, moves by a fifth from run to run on these machines).
  lucene="$shared/bench/lucene/run.sh"
  : > "$dir/builds.tsv"
  if [ -x "$lucene" ]; then
    for r in 1 2 3; do
      rm -rf "$dir/build-ours"
      ours=$("$bin" index --index "$dir/build-ours" "$corpus" | sed -n 's/.*MB analysed, \([0-9.]*\) MB\/s).*/\1/p')
      rm -rf "$dir/build-lucene"
      theirs=$("$lucene" index "$corpus" "$dir/build-lucene" --analyzer icu 2> /dev/null | sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p')
      printf '%s\t%s\n' "$ours" "$theirs" >> "$dir/builds.tsv"
    done
    rm -rf "$dir/build-ours" "$dir/build-lucene"
  fi
done

python3 - "$out" "${corpora[@]}" <<'PY'
import os, re, subprocess, sys, datetime
out, corpora = sys.argv[1], sys.argv[2:]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = ["# Benchmarks", "",
         f"Measured by `scripts/bench.sh` on {datetime.date.today()}, commit {commit}, {os.cpu_count()} cores ({cpu}), "
         "release build. References ran in the same session on the same corpus and queries "
         "(`../shared/bench/run-anchors.sh`, OR mode, in-process latencies after warm-up). Ratios are ours ÷ reference "
         "(for speeds, higher is better; for sizes and latencies, lower is better). Machines here are shared and noisy.", ""]
for corpus in corpora:
    name = os.path.basename(os.path.dirname(corpus))
    d = os.path.join(out, name)
    def read(f, default=""):
        try: return open(os.path.join(d, f), encoding="utf-8").read()
        except OSError: return default
    m = re.search(r"added (\d+).* in ([\d.]+) s \(([\d.]+) MB analysed, ([\d.]+) MB/s\)", read("index.out"))
    docs, secs, mb, rate = (m.groups() if m else ("?", "0", "0", "0"))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", read("index.time"))
    rss_mb = int(rss.group(1)) / 1024 if rss else 0
    index_bytes = int(read("index.bytes", "0") or 0)
    input_bytes = float(mb) * 1e6
    b = dict(re.findall(r"(\w+)=([\d.]+)", read("batch.err")))
    ours = {"mb_per_s": float(rate), "index_ratio": index_bytes / input_bytes if input_bytes else 0, "rss": rss_mb,
            "p50": float(b.get("p50_us", 0)), "p95": float(b.get("p95_us", 0)), "p99": float(b.get("p99_us", 0)), "qps": float(b.get("qps", 0))}
    refs = {}
    tsv = read("anchors/summary.tsv")
    rows = [l.split("\t") for l in tsv.splitlines()]
    if rows:
        head = rows[0]
        for r in rows[1:]:
            row = dict(zip(head, r))
            a = row["anchor"]
            refs.setdefault(a, {})
            if row["kind"] == "index":
                ib, inb = float(row["index_bytes"] or 0), float(row["input_bytes"] or 1)
                refs[a].update(mb_per_s=float(row["mb_per_s"] or 0), index_ratio=ib / inb, rss=float(row["peak_rss_mb"] or 0))
            else:
                refs[a].update(p50=float(row["p50_us"] or 0), p95=float(row["p95_us"] or 0), p99=float(row["p99_us"] or 0), qps=float(row["qps"] or 0))
    lines += [f"## {name}: {docs} documents, {float(mb):.1f} MB", ""]
    lines += ["| engine | build MB/s | index / input | peak RSS MB (build) | query p50 µs | p95 µs | p99 µs | QPS |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    def row(label, v):
        return f"| {label} | {v.get('mb_per_s', 0):.1f} | {v.get('index_ratio', 0):.2f} | {v.get('rss', 0):.0f} | {v.get('p50', 0):.0f} | {v.get('p95', 0):.0f} | {v.get('p99', 0):.0f} | {v.get('qps', 0):.0f} |"
    lines.append(row("**search**", ours))
    for a, v in refs.items():
        lines.append(row(a, v))
    lines.append("")
    if refs:
        lines += ["Ratios (ours ÷ reference):", "", "| reference | build speed | index size | build RSS | p50 | p99 |", "|---|---:|---:|---:|---:|---:|"]
        for a, v in refs.items():
            def ratio(k):
                return f"{ours[k] / v[k]:.2f}×" if v.get(k) else "–"
            lines.append(f"| {a} | {ratio('mb_per_s')} | {ratio('index_ratio')} | {ratio('rss')} | {ratio('p50')} | {ratio('p99')} |")
        lines.append("")
    snippet_s = float(read('snippets.s', '0') or 0)
    builds = [l.split("\t") for l in read("builds.tsv").splitlines() if l.count("\t") == 1 and all(l.split("\t"))]
    if builds:
        ours_speeds = sorted(float(o) for o, _ in builds)
        lucene_speeds = sorted(float(t) for _, t in builds)
        mo, ml = ours_speeds[len(ours_speeds) // 2], lucene_speeds[len(lucene_speeds) // 2]
        lines += [f"- build speed, medians of {len(builds)} builds each taken in turn with Lucene-ICU's: {mo:.1f} against {ml:.1f} MB/s, "
                  f"{mo / ml:.2f}× (ours {', '.join(f'{v:.1f}' for v in ours_speeds)}; Lucene-ICU {', '.join(f'{v:.1f}' for v in lucene_speeds)})"]
    lines += [f"- unchanged re-index: {read('unchanged.s').strip()} s; adding 10 documents: {read('add10.s').strip()} s",
              f"- `search batch` with snippets (the default JSON, a thread a core), the 355 queries in one process: {snippet_s:.2f} s "
              f"({1000 * snippet_s / max(1, sum(1 for _ in open(os.path.join(out, 'queries.txt')))):.1f} ms a query, start-up included)",
              f"- cold `search \"復工復產\"` process (median of 21, page cache warm): {int(read('cold.us', '0') or 0) / 1000:.1f} ms",
              f"- queries: {sum(1 for _ in open(os.path.join(out, 'queries.txt')))} (55 dev queries + 300 STARD questions); "
              "our latency is measured in process over five passes after one warm-up pass, without snippets", ""]
open("docs/BENCHMARKS.md", "w", encoding="utf-8").write("\n".join(lines))
print("\n".join(lines))
PY
