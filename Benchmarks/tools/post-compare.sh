#!/usr/bin/env bash
# Side-by-side POST throughput of several folio builds: for each round, each build serves a fresh store
# and wrk saves into it at 64 connections (Benchmarks/wrk/post.lua, 1 KiB saves over 1,000 files) for
# SECONDS; the builds alternate within a round so they share the machine's state of the moment.
#
#   Benchmarks/tools/post-compare.sh [--rounds N] [--seconds S] [--phases] NAME=BIN[:ENV=VAL,...] ...
#
#   e.g. post-compare.sh naive=.build-bench/release/folio:FOLIO_MAX_BATCH=1,FOLIO_PACKED_WRITES=0 \
#                        before=/tmp/old/folio after=.build-bench/release/folio
#
# --phases runs the servers at FOLIO_LOG_LEVEL=debug and summarises their "group commit" lines (saves
# per batch, build/pack/ref milliseconds; pack and ref are cumulative from the start of publishing).
# Data folders go under a fresh temporary folder, removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds=3 seconds=8 phases=0
builds=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --rounds) rounds="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        --phases) phases=1 ;;
        *=*) builds+=("$1") ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
[[ ${#builds[@]} -gt 0 ]] || { echo "name at least one NAME=BIN" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
work="$(mktemp -d -t folio-post-compare.XXXXXX)"
trap 'rm -rf "$work"' EXIT

run() {  # name bin env-list round
    local name="$1" bin="$2" extra="$3" round="$4" data="$work/$1-$4"
    mkdir -p "$data"
    local port=$((20000 + RANDOM % 20000))
    local -a environment=(FOLIO_REPO_PATH="$data/folio.git" FOLIO_DATABASE_URL="sqlite:$data/folio.sqlite"
        MEDIA_ROOT="$data/media" FOLIO_HOST=127.0.0.1 FOLIO_LOG_LEVEL="$([[ $phases == 1 ]] && echo debug || echo info)")
    [[ -n "$extra" ]] && IFS=, read -r -a more <<< "$extra" && environment+=("${more[@]}")
    env "${environment[@]}" "$bin" serve --port "$port" > "$data/out.log" 2> "$data/err.log" &
    local pid=$!
    for _ in $(seq 100); do curl -s "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    local rate
    rate=$(wrk -t2 -c64 -d"${seconds}s" -s "$here/wrk/post.lua" "http://127.0.0.1:$port/api/projects/bench/prd/" -- "$name-$round-$RANDOM" 1024 1000 \
        | awk '/Requests\/sec/ {print $2}')
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '%-12s round %d: %s req/s\n' "$name" "$round" "$rate"
    if [[ $phases == 1 ]]; then
        python3 - "$data/err.log" <<'PY'
import re, statistics, sys
batches, catalog = [], []
for line in open(sys.argv[1]):
    if "group commit recorded" in line:
        catalog.append(float(re.search(r"catalog_ms=([\d.]+)", line).group(1)))
    elif "group commit" in line and "build_ms" in line:
        batches.append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)})
for key in ("saves", "build_ms", "pack_ms", "ref_ms"):
    values = [b[key] for b in batches if key in b]
    if values:
        print(f"    {key}: median {statistics.median(values):.2f}, mean {statistics.mean(values):.2f}")
if catalog:
    print(f"    catalog_ms: median {statistics.median(catalog):.2f}; {len(batches)} batches")
PY
    fi
    rm -rf "$data"
}

for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
        name="${build%%=*}" rest="${build#*=}"
        bin="${rest%%:*}" extra=""
        [[ "$rest" == *:* ]] && extra="${rest#*:}"
        run "$name" "$bin" "$extra" "$round"
    done
done
