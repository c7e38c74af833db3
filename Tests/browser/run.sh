#!/usr/bin/env bash
# The web UI in a real headless Chromium: runs Tests/browser/browser_test.py (Selenium driving Debian's
# chromium through chromium-driver) against live `folio serve` processes it starts and stops. Without
# chromium, chromedriver or Selenium the run is skipped, unless FOLIO_REQUIRE_SERVICES=1, when it fails.
# FOLIO_BROWSER_SCREENSHOTS names the screenshot folder (default: a new folder under /tmp, printed).
# The last line is `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/../.."
binary=${FOLIO_BROWSER_BINARY:-.build/debug/folio}

missing=()
[[ -x /usr/bin/chromium ]] || missing+=("chromium (apt-get install chromium)")
[[ -x /usr/bin/chromedriver ]] || missing+=("chromedriver (apt-get install chromium-driver)")
python3 -c "import selenium" 2>/dev/null || missing+=("selenium (pip install selenium)")
[[ -x "$binary" ]] || missing+=("$binary (swift build)")
if ((${#missing[@]})); then
    echo "browser: missing ${missing[*]}; scripts/install-deps.sh --test installs them"
    if [[ "${FOLIO_REQUIRE_SERVICES:-0}" == 1 ]]; then
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "browser: skipped"
    exit 0
fi

shots=${FOLIO_BROWSER_SCREENSHOTS:-$(mktemp -d /tmp/folio-ui-screenshots.XXXXXX)}
exec python3 Tests/browser/browser_test.py --folio "$binary" --screenshots "$shots"
