#!/usr/bin/env bash
# Builds Folio and folio-bench (release), runs every benchmark and regenerates BENCHMARKS.md.
#
#   Benchmarks/run-all.sh            the full run (about 35 minutes on 2 shared cores); writes BENCHMARKS.md
#   Benchmarks/run-all.sh --quick    a smoke run (a few minutes); writes $TMPDIR/BENCHMARKS.quick.md
#                                    unless --out is given, so the full results are not overwritten
#   extra flags go to Benchmarks/tools/bench.py: --out FILE, --keep (keep the work folder with logs),
#   --only http,core,s3,history,sizes,reindex,pipeline, --work DIR, --baseline-bin DIR (an earlier release
#   build measured beside this one in the reindex and pipeline sections) with --baseline-commit TEXT
#
# What it starts: `folio serve` on free loopback ports over fresh data folders under /tmp, and a local
# SeaweedFS (scripts/seaweedfs.sh with its own FOLIO_TEST_STATE_DIR). All of it is stopped at the end,
# also on failure. Builds use their own scratch path (.build-bench) at low priority.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
partial=0
out=()
pass=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        --out) out=(--out "$2"); shift ;;
        --only) partial=1; pass+=("$1" "$2"); shift ;;
        *) pass+=("$1") ;;
    esac
    shift
done
if [[ ${#out[@]} -eq 0 ]]; then
    # A quick or partial run must not replace the full results.
    if [[ ${#quick[@]} -gt 0 ]]; then out=(--out "${TMPDIR:-/tmp}/BENCHMARKS.quick.md")
    elif [[ $partial -eq 1 ]]; then out=(--out "${TMPDIR:-/tmp}/BENCHMARKS.partial.md")
    else out=(--out "$PWD/BENCHMARKS.md"); fi
fi

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v git >/dev/null || need+=(git)
if [[ ${#need[@]} -gt 0 ]]; then apt-get install -y "${need[@]}" >/dev/null; fi
python3 -c 'import boto3' 2>/dev/null || python3 -m pip install --quiet boto3
command -v aws >/dev/null || python3 -m pip install --quiet awscli

scratch=.build-bench
nice -n 10 swift build -c release --scratch-path "$scratch" --product folio
nice -n 10 swift build -c release --scratch-path "$scratch" --product folio-bench
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"

exec python3 Benchmarks/tools/bench.py "${quick[@]}" --bin "$bin" "${out[@]}" "${pass[@]}"
