#!/usr/bin/env bash
# Contract test: the OpenAPI document the server serves at /openapi.json must describe exactly what the
# server does. Starts `folio serve` twice (loopback, port 0, a fresh data folder each) — once without
# FOLIO_API_TOKENS and once with a read-write and a read-only token — seeds a PRD and an implementation
# plan through the API, checks that the served document declares bearer security exactly when tokens are
# configured, and runs Schemathesis (`st run --checks all --mode all`) against it:
#
#   open        the server without tokens, no Authorization header
#   read-write  the server with tokens, the read-write token
#   read-only   the same server, the read-only token (writes must be refused with 403)
#
# A run fails on any failed check (a status, header, content type or body the document does not allow,
# schema-valid input refused, schema-invalid input accepted, missing 401/405/Allow, ...), on any 5xx the
# server logged, or when the served document's security is wrong. Realistic values (the seeded project,
# names and commits, and the presigned URL's query) come from a generated schemathesis.toml
# (Tests/contract/schemathesis.toml.in).
#
# Environment: FOLIO_CONTRACT_SECONDS (default 50) is the budget of each of the first two runs (the
# read-only run gets half), FOLIO_CONTRACT_EXAMPLES (default 40) the examples per operation per cycle,
# FOLIO_CONTRACT_SEED a Schemathesis seed to repeat a run, FOLIO_CONTRACT_BINARY the folio binary
# (default .build/debug/folio, copied before use), FOLIO_CONTRACT_KEEP=1 keeps the work folder.
# Defaults take a little over 2 minutes on 2 cores. The last line is exactly `N passed, N failed`; the exit
# status is 1 if any run failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=${FOLIO_CONTRACT_SECONDS:-50}
examples=${FOLIO_CONTRACT_EXAMPLES:-40}
binary=${FOLIO_CONTRACT_BINARY:-.build/debug/folio}
st=$(command -v st || command -v schemathesis || true)

passed=0
failed=0
pids=()
work=$(mktemp -d /tmp/folio-contract.XXXXXX)

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if [[ "${FOLIO_CONTRACT_KEEP:-0}" != 1 && $failed -eq 0 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish() {
    ((failed)) && echo "contract: the work folder (server logs, schemathesis output) is kept in $work"
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit $?
}

if [[ ! -x "$binary" ]]; then
    echo "FAIL setup: $binary is not built (swift build --build-tests)"; failed=1; finish
fi
if [[ -z "$st" ]]; then
    echo "FAIL setup: schemathesis is not installed (scripts/install-deps.sh --test)"; failed=1; finish
fi
# A copy, so a rebuild during the run neither breaks the servers nor mixes two builds.
cp "$binary" "$work/folio"
# With its resource bundles (the OpenAPI document), which Bundle.module looks for beside the executable.
for bundle in "$(dirname "$binary")"/*.resources; do
    [[ -d "$bundle" ]] && cp -R "$bundle" "$work/"
done

# Starts a server on a fresh data folder; sets $port, appends its pid to pids. Arguments: name, then
# extra environment (NAME=value ...).
start_server() {
    local name=$1; shift
    local data="$work/$name"
    mkdir -p "$data"
    : >"$data/stdout"
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 \
        FOLIO_REPO_PATH="$data/folio.git" FOLIO_DATABASE_URL="sqlite:$data/folio.sqlite" MEDIA_ROOT="$data/media" \
        FOLIO_LOG_LEVEL=warning "$@" \
        "$work/folio" serve --host 127.0.0.1 --port 0 >"$data/stdout" 2>"$data/stderr" &
    pids+=($!)
    local pid=$! waited
    port=
    for ((waited = 0; waited < 300; waited++)); do
        port=$(sed -n 's|^folio: listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$data/stdout" | head -1)
        [[ -n "$port" ]] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# Saves two versions of a PRD and of an implementation plan in `demo`, one of each in `scratch` (which
# the delete operation is pointed at), and asks for a presigned URL; writes the Schemathesis
# configuration for this server. Arguments: name, base URL, Authorization header or "".
seed() {
    local name=$1 base=$2 auth=$3
    python3 - "$base" "$auth" "$work/$name/schemathesis.toml" "$root/Tests/contract/schemathesis.toml.in" <<'PY'
import json, sys, urllib.parse, urllib.request

base, auth, out, template = sys.argv[1:5]

def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", auth)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)

def save(project, kind, name, content, metadata, who):
    return call("POST", f"/api/projects/{project}/{kind}/", {
        "name": name, "content": content, "metadata": metadata, "updated_by": who, "message": "seeded for the contract test"})["commit"]

commits = [
    save("demo", "prd", "main_prd", "# Checkout v2\n\nGoals: faster checkout.\n", {"prd_id": 1}, "john_doe"),
    save("demo", "prd", "main_prd", "# Checkout v2\n\nGoals: faster checkout.\n\nScope: web and mobile.\n", {"prd_id": 1, "status": "draft"}, "Jane Doe"),
    save("demo", "implementation", "implementation_plan", "# Plan\n\n1. Cart service\n", {}, "john_doe"),
    save("demo", "implementation", "implementation_plan", "# Plan\n\n1. Cart service\n2. Payment retries\n", {"owner": "jane"}, "Jane Doe"),
]
save("scratch", "prd", "main_prd", "# Scratch\n", {}, "john_doe")
save("scratch", "implementation", "implementation_plan", "# Scratch plan\n", {}, "john_doe")

url = urllib.parse.urlsplit(call("GET", "/api/projects/demo/prd/url/?name=main_prd&expires=86400")["url"])
project, kind, file = url.path.split("/")[2:5]
query = dict(urllib.parse.parse_qsl(url.query))

values = {
    "COMMITS": json.dumps(commits + [commit[:7] for commit in commits] + [commits[1].upper()]),
    "ETAGS": ", ".join(json.dumps(f'"{commit}"') for commit in commits),
    "FILE_PROJECT": json.dumps(project), "FILE_TYPE": json.dumps(kind), "FILE_NAME": json.dumps(file),
    "FILE_COMMIT": json.dumps(query["commit"]), "FILE_EXPIRES": query["expires"], "FILE_SIGNATURE": json.dumps(query["signature"]),
}
text = open(template).read()
for key, value in values.items():
    text = text.replace("@" + key + "@", value)
open(out, "w").write(text)
PY
}

# Checks the served document's security. Arguments: base URL, "tokens" or "open".
check_security() {
    python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
base, mode = sys.argv[1:3]
document = json.load(urllib.request.urlopen(base + "/openapi.json", timeout=30))
problems = []
operations = {(method.upper(), path): op for path, item in document["paths"].items() for method, op in item.items() if method != "parameters"}
open_paths = ("/healthz", "/readyz", "/openapi.json", "/files/")
def declared(op):
    return op.get("security", document.get("security", []))
for (method, path), op in operations.items():
    needs = any(requirement for requirement in declared(op))
    responses = op.get("responses", {})
    if mode == "open":
        if needs:
            problems.append(f"{method} {path} declares security on a server without tokens")
        if "401" in responses:
            problems.append(f"{method} {path} documents 401 on a server without tokens")
    else:
        if path.startswith(open_paths):
            if needs:
                problems.append(f"{method} {path} declares security but is open")
        else:
            if not any("bearer" in requirement for requirement in declared(op)):
                problems.append(f"{method} {path} does not declare the bearer token it needs")
            if "401" not in responses:
                problems.append(f"{method} {path} does not document 401")
if mode == "open" and "securitySchemes" in document.get("components", {}):
    problems.append("components.securitySchemes is present on a server without tokens")
if mode == "tokens" and document.get("components", {}).get("securitySchemes", {}).get("bearer", {}).get("scheme") != "bearer":
    problems.append("no bearer security scheme")
if problems:
    print("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    sys.exit(1)
PY
}

# How many 5xx replies the server has logged (each as "request failed" with an incident id).
incidents_in() {
    local count
    count=$(grep -c 'request failed' "$1" 2>/dev/null)
    echo "${count:-0}"
}

# One Schemathesis run. Arguments: run name, server name, base URL, seconds, then extra st options.
run_st() {
    local run=$1 server=$2 base=$3 budget=$4; shift 4
    local log="$work/$run.st.log" server_log="$work/$server/stderr"
    local before status incidents
    before=$(incidents_in "$server_log")
    local seed_args=()
    [[ -n "${FOLIO_CONTRACT_SEED:-}" ]] && seed_args=(--seed "$FOLIO_CONTRACT_SEED")
    # One worker: with two, Hypothesis (describing a filter's lambda) runs ast.parse in both threads at
    # once, and CPython 3.11 keeps the AST converter's recursion counter per interpreter, not per thread:
    # "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905), whatever the schema.
    (
        cd "$work" && timeout --kill-after=10 $((budget + 90)) "$st" --config-file "$work/$server/schemathesis.toml" run "$base/openapi.json" \
            --url "$base" --checks all --mode all --max-examples "$examples" --max-time "$budget" \
            --workers 1 --generation-database none --no-color "${seed_args[@]}" "$@"
    ) >"$log" 2>&1
    status=$?
    incidents=$(($(incidents_in "$server_log") - before))
    local summary
    summary=$(grep -E '^(=+ .* in [0-9.]+s =+|Test cases:|  [0-9]+ generated.*)$' "$log" | tr -s ' ' | tr '\n' ' ')
    if ((status == 0 && incidents == 0)); then
        echo "ok $run: $summary"
        passed=$((passed + 1))
    else
        local reason="schemathesis exited $status"
        ((incidents > 0)) && reason="$reason; the server logged $incidents 5xx (see $server_log)"
        echo "FAIL $run: $reason: $summary"
        # The failures and the summary, indented.
        sed -n '/^=* FAILURES =*$/,$p' "$log" | head -400 | sed 's/^/    /'
        [[ -s "$log" ]] && ! grep -q '^=* FAILURES =*$' "$log" && tail -40 "$log" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

# Starts a server, seeds it and checks its document's security; sets $base, or prints FAIL for each run
# it was for. Arguments: server name, "open" or "tokens", the runs' names, the Authorization header for
# seeding (or ""), then extra environment (NAME=value ...).
prepare() {
    local name=$1 mode=$2 runs=$3 auth=$4; shift 4
    local problem="" run
    if ! start_server "$name" "$@"; then
        problem="the server did not start: $(tail -3 "$work/$name/stderr" | tr '\n' ' ')"
    else
        base="http://127.0.0.1:$port"
        if ! seed "$name" "$base" "$auth" 2>"$work/$name/seed.err"; then
            problem="seeding through the API failed: $(tail -1 "$work/$name/seed.err")"
        elif ! problem=$(check_security "$base" "$mode" 2>&1); then
            problem="the served /openapi.json: $(echo "$problem" | tail -1)"
        else
            return 0
        fi
    fi
    for run in $runs; do
        echo "FAIL $run: $problem"
        failed=$((failed + 1))
    done
    return 1
}

# The server without tokens.
if prepare open open "open" ""; then
    run_st open open "$base" "$seconds"
fi

# The server with a read-write and a read-only token.
rw=contract-rw-$RANDOM$RANDOM
ro=contract-ro-$RANDOM$RANDOM
if prepare tokens tokens "read-write read-only" "Bearer $rw" FOLIO_API_TOKENS="writer:$rw,reader:$ro:ro"; then
    run_st read-write tokens "$base" "$seconds" -H "Authorization: Bearer $rw"
    # Every write gets 403 here, which Schemathesis would report as failed authentication.
    run_st read-only tokens "$base" $(((seconds + 1) / 2)) -H "Authorization: Bearer $ro" \
        --warnings missing_test_data,base_url_mismatch,validation_mismatch,unsupported_regex,dictionary_mismatch,missing_deserializer
fi

finish
