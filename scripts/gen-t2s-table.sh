#!/usr/bin/env bash
# Regenerates the per-character Traditional→Simplified table from the system ICU.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc -O1 -o "$tmp/gen" scripts/gen-t2s-table.c $(pkg-config --cflags --libs icu-i18n icu-uc)
"$tmp/gen" > Sources/Analysis/TraditionalToSimplifiedTable.swift
