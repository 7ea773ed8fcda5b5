#!/bin/sh
# podlab's postgres entrypoint: the official image's contract, for an image that
# runs as its postgres user (uid 999) from the start, on a read-only root.
#
# - PGDATA (default /var/lib/postgresql/data) is initialised on first start,
#   when it holds no PG_VERSION: initdb with the superuser password from
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (refuses to start without one),
#   user POSTGRES_USER (default postgres), extra POSTGRES_INITDB_ARGS.
# - Connections over the network need that password (scram-sha-256); local
#   socket and loopback connections are trusted, as in the official image.
# - Then execs the server listening on every address; PGPORT picks the port.
# Not implemented: POSTGRES_DB and /docker-entrypoint-initdb.d.
set -eu

if [ "${1:-postgres}" != postgres ] && [ "${1#-}" = "$1" ]; then
  exec "$@" # some other command, e.g. bash or psql
fi
[ "${1:-}" = postgres ] && shift

if [ "$(id -u)" = 0 ]; then
  echo "podlab postgres: refusing to run as root; run as uid 999 (the image's postgres user)" >&2
  exit 1
fi

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"
  fi
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "podlab postgres: the database is uninitialised and no superuser password is set." >&2
    echo "  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value." >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list, as in the official image
  initdb --username="${POSTGRES_USER:-postgres}" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=trust ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  trap - EXIT
  {
    echo
    echo "# podlab: every other address needs the password (as in the official image)"
    echo "host all all all scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
  echo "podlab postgres: initialised $PGDATA"
fi
unset POSTGRES_PASSWORD

exec postgres -c listen_addresses='*' "$@"
