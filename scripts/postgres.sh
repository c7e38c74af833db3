#!/usr/bin/env bash
# Runs a throwaway PostgreSQL cluster for the tests: initdb in a temp folder, listening on 127.0.0.1 only
# at a free port, its unix socket inside the same folder, trust authentication for one test role.
#
#   scripts/postgres.sh start    initdb if needed, start, wait, print env lines
#   scripts/postgres.sh stop     stop the server started from this state dir and remove its data
#   scripts/postgres.sh status   exit 0 when it is running and answering
#   scripts/postgres.sh env      print the env lines of the running server
#
# State (data, log, pg.env) lives in $FOLIO_TEST_STATE_DIR/postgres; `source` the printed
# $FOLIO_TEST_STATE_DIR/pg.env to point the tests at it (FOLIO_TEST_DATABASE_URL). PostgreSQL refuses to
# run as root, so as root the cluster belongs to the `postgres` user (Debian's package creates it).
set -euo pipefail

STATE_ROOT="${FOLIO_TEST_STATE_DIR:-${TMPDIR:-/tmp}/folio-test-state}"
STATE="$STATE_ROOT/postgres"
ENV_FILE="$STATE_ROOT/pg.env"
DATA="$STATE/data"
LOG_FILE="$STATE/postgres.log"
PG_BIN="${FOLIO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
ROLE="folio_test"

log() { echo "postgres: $*" >&2; }

as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

is_running() {
    [[ -f "$DATA/postmaster.pid" ]] && as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
    [[ -x "$PG_BIN/postgres" ]] || { log "no PostgreSQL server binaries under /usr/lib/postgresql (run scripts/install-deps.sh --test)"; exit 1; }
    if is_running && [[ -f "$ENV_FILE" ]]; then
        log "already running"
        cat "$ENV_FILE"
        return 0
    fi
    rm -rf "$DATA"
    mkdir -p "$STATE"
    if [[ "$(id -u)" -eq 0 ]]; then
        # The server's user must be able to reach its folder: every parent is made traversable.
        chown postgres "$STATE"
        local dir="$STATE"
        while [[ "$dir" != "/" ]]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
    fi
    as_owner "$PG_BIN/initdb" -D "$DATA" -U "$ROLE" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 || {
        log "initdb failed:"; cat "$STATE/initdb.log" >&2; exit 1; }
    local port
    port="$(free_port)"
    # Test data only: durability settings off for speed; nothing listens beyond loopback.
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG_FILE" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$STATE -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null || {
        log "the server did not start; last log lines:"; tail -n 30 "$LOG_FILE" >&2; exit 1; }
    as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$ROLE" folio_test
    cat >"$ENV_FILE" <<ENV
export FOLIO_TEST_DATABASE_URL=postgres://$ROLE@127.0.0.1:$port/folio_test
ENV
    log "ready on 127.0.0.1:$port; source $ENV_FILE"
    cat "$ENV_FILE"
}

stop() {
    if is_running; then
        as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || true
        log "stopped"
    fi
    rm -rf "$DATA"
    rm -f "$ENV_FILE"
}

status() {
    if is_running; then log "running"; return 0; fi
    log "not running"
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) cat "$ENV_FILE" ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
