#!/usr/bin/env bash
# Runs the whole test suite against real services: installs the dependencies, starts a local SeaweedFS
# (loopback only, signatures checked) and a throwaway PostgreSQL cluster (loopback only), builds, tests,
# and stops what it started. With
# FOLIO_REQUIRE_SERVICES=1 (set here) a test whose server is missing fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

export FOLIO_REQUIRE_SERVICES=1
export FOLIO_TEST_STATE_DIR="${FOLIO_TEST_STATE_DIR:-$(mktemp -d /tmp/folio-test-state.XXXXXX)}"
cleanup() {
    scripts/seaweedfs.sh stop >/dev/null 2>&1 || true
    scripts/postgres.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

scripts/seaweedfs.sh start >/dev/null
scripts/postgres.sh start >/dev/null
set -a
# shellcheck disable=SC1091
source "$FOLIO_TEST_STATE_DIR/s3.env"
# shellcheck disable=SC1091
source "$FOLIO_TEST_STATE_DIR/pg.env"
set +a

swift build --build-tests

# The reliability suite: kill -9 under load, two servers, a full disk, a broken mirror, a damaged
# catalog — against the real binary. FOLIO_RELIABILITY_ROUNDS / _SECONDS lengthen it into a soak.
python3 Tests/reliability/reliability.py --folio .build/debug/folio \
    --rounds "${FOLIO_RELIABILITY_ROUNDS:-3}" --seconds "${FOLIO_RELIABILITY_SECONDS:-8}"

# The API contract: schemathesis generates schema-valid and schema-violating requests from the served
# /openapi.json, without tokens and with a read-write and a read-only one; any mismatch or 5xx fails.
Tests/contract/run.sh

# Git as a front door: the real git command over file:// and smart HTTP against live servers, with the
# hooks folio serve installs (valid and invalid pushes, tokens, pushes racing API saves, textconv,
# reindex, rewritten history).
python3 Tests/git/front_door.py --folio .build/debug/folio

# The web UI in a real headless Chromium against live servers; prints where its screenshots are.
Tests/browser/run.sh

# Coverage-guided fuzzing of the JSON parser, file keys and envelopes from the kept corpus, for
# FOLIO_FUZZ_SECONDS (default 60); a crash fails the run.
scripts/fuzz.sh

# The store suite once more with every store's catalog on PostgreSQL (the catalog's own suite runs on
# both in the main run below).
FOLIO_TEST_CATALOG=postgres swift test --skip-build --filter FolioStoreTests

# The Swift tests last, so their summary is the run's closing line.
swift test --skip-build "$@"
