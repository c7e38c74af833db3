#!/usr/bin/env bash
# Builds Folio and runs its server with the embedded defaults: a SQLite catalog and a local mirror, all
# under ./data (override with the FOLIO_* / MEDIA_ROOT variables or `folio serve --help` flags).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product folio
mkdir -p data
exec .build/release/folio serve "$@"
