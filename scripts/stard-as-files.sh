#!/usr/bin/env bash
# Writes STARD's law articles (../shared/data/stard-train/corpus.jsonl) as one text file each,
# title line then text, under /tmp/stard-articles/docs/dNNN/ — a collection of articles in the
# shape the reference harness indexes (a folder of files), for scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - ../shared/data/stard-train/corpus.jsonl /tmp/stard-articles/docs <<'PY'
import json, os, sys
source, out = sys.argv[1], sys.argv[2]
count = 0
for line in open(source, encoding="utf-8"):
    d = json.loads(line)
    folder = os.path.join(out, d["_id"][:4])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, d["_id"] + ".txt"), "w", encoding="utf-8") as f:
        f.write(d["title"] + "\n" + d["text"] + "\n")
    count += 1
print(f"{count} articles in {out}")
PY
