#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, from Debian's `postgresql` (make test-deps):
#
#   scripts/postgres-test-server.sh start DIR   initdb into DIR/data, start the server on a free
#                                                loopback port with its socket in DIR, make the
#                                                `starling` role and database, and print the URL
#                                                (postgres://starling@127.0.0.1:PORT/starling);
#                                                on a DIR it ran in before, start it again on the
#                                                same port with its data
#   scripts/postgres-test-server.sh stop DIR    stop it (fast shutdown); DIR is left to the caller
#   scripts/postgres-test-server.sh run CMD...  start one in a new temporary folder, run CMD with
#                                                STARLING_TEST_POSTGRES_URL set to its URL, then
#                                                stop it and remove the folder; CMD's exit status
#
# Trust authentication on 127.0.0.1 only, fsync off: nothing in it outlives the test run. PostgreSQL
# refuses to run as root, so as root the server runs as the `postgres` user the package made, and
# DIR is handed to that user.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR | run COMMAND..." >&2
    exit 2
}
[ $# -ge 2 ] || usage
command="$1"
shift

if [ "$command" = run ]; then
    directory="$(mktemp -d)"
    trap '"$0" stop "$directory" 2>/dev/null || true; rm -rf "$directory"' EXIT
    STARLING_TEST_POSTGRES_URL="$("$0" start "$directory")"
    export STARLING_TEST_POSTGRES_URL
    status=0
    "$@" || status=$?
    exit "$status"
fi
[ $# -eq 1 ] || usage
directory="$(cd "$1" && pwd)"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "error: PostgreSQL's server programs are missing; run make test-deps" >&2
    exit 1
fi

as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$command" in
start)
    [ "$(id -u)" -ne 0 ] || chown postgres "$directory"
    # A folder that held a server before gets it back on its port, with its data.
    if [ -f "$directory/port" ]; then
        port="$(cat "$directory/port")"
    else
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        as_server "$bin/initdb" --pgdata="$directory/data" --username=starling --auth=trust --no-sync \
            --encoding=UTF8 --locale=C.UTF-8 >"$directory/initdb.log" 2>&1 ||
            { cat "$directory/initdb.log" >&2; exit 1; }
    fi
    as_server "$bin/pg_ctl" --pgdata="$directory/data" --log="$directory/server.log" --wait --timeout=60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $directory -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$directory/server.log" >&2; exit 1; }
    if [ ! -f "$directory/port" ]; then
        as_server "$bin/createdb" --host=127.0.0.1 --port="$port" --username=starling starling
        echo "$port" >"$directory/port"
    fi
    echo "postgres://starling@127.0.0.1:$port/starling"
    ;;
stop)
    as_server "$bin/pg_ctl" --pgdata="$directory/data" --mode=fast --wait stop >/dev/null
    ;;
*)
    usage
    ;;
esac
