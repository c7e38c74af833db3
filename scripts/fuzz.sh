#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the JSON parser, the file key rules and envelope decoding.
# Builds folio-fuzz with -sanitize=fuzzer in its own build folder (.build-fuzz), then fuzzes for
# FOLIO_FUZZ_SECONDS (default 60) starting from the kept corpus in Fuzz/corpus. New interesting inputs
# go to a scratch folder; with --keep they are merged (minimised) into Fuzz/corpus to commit.
# A crash leaves its input in the scratch folder and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FOLIO_FUZZ_SECONDS:-60}"
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

swift build --scratch-path .build-fuzz --product folio-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING >/dev/null
binary=.build-fuzz/debug/folio-fuzz
scratch="$(mktemp -d /tmp/folio-fuzz.XXXXXX)"
echo "fuzz: ${seconds}s from $(ls Fuzz/corpus | wc -l) corpus inputs; findings and new inputs in $scratch"
# -use_value_profile helps it find the exact bytes comparisons look for (true, null, /prd/...).
"$binary" "$scratch" Fuzz/corpus -max_total_time="$seconds" -max_len=4096 -use_value_profile=1 \
    -artifact_prefix="$scratch/" -print_final_stats=1 2>"$scratch/fuzz.log" || {
    tail -40 "$scratch/fuzz.log"
    echo "fuzz: FAILED; the crashing input is in $scratch" >&2
    exit 1
}
grep -E "stat::number_of_executed_units|stat::new_units_added" "$scratch/fuzz.log" | sed 's/^/fuzz: /'
if ((keep)); then
    "$binary" -merge=1 Fuzz/corpus "$scratch" 2>/dev/null
    echo "fuzz: merged new inputs into Fuzz/corpus ($(ls Fuzz/corpus | wc -l) files)"
fi
echo "fuzz: no crash in ${seconds}s"
