#!/usr/bin/env bash
# podlab's postgres entrypoint. It stands in for the official image's
# (docker-library/postgres, 17 on bookworm) and behaves as that one does, so a
# pod that works on the lab works on a real cluster and the other way round.
# Written for podlab from the official image's documented behaviour; see
# lab/images/README.md for what was compared and how.
#
#   docker-entrypoint.sh postgres [server options]   initialise PGDATA if empty, then run the server
#   docker-entrypoint.sh -c x=y ...                  the same (options alone mean the server)
#   docker-entrypoint.sh CMD ...                     any other command, run as it is
#
# Started as root (the image has no USER), it makes PGDATA and the socket
# directory the postgres user's and runs itself again as that user. Started as
# any other uid, it runs as that uid; when the uid has no passwd entry, initdb
# sees a "postgres" user through nss_wrapper.
#
# First start, when PGDATA has no PG_VERSION:
#   1. needs POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust);
#   2. initdb as POSTGRES_USER (default postgres) with that password, plus
#      POSTGRES_INITDB_ARGS and POSTGRES_INITDB_WALDIR; the password goes
#      through a pipe, never a file, so no writable /tmp is needed for it;
#   3. pg_hba.conf: every address outside the pod needs POSTGRES_HOST_AUTH_METHOD
#      (default: the server's password_encryption, scram-sha-256);
#   4. a temporary server on the unix socket only (port PGPORT) creates
#      POSTGRES_DB (default: POSTGRES_USER) and runs /docker-entrypoint-initdb.d:
#      *.sh (run if executable, else sourced), *.sql, *.sql.gz, *.sql.xz, *.sql.zst;
#   5. the temporary server stops.
# Every POSTGRES_* setting above may come from a file named by <NAME>_FILE.
# Then the command runs; the server listens on every address because the
# image's postgresql.conf.sample says listen_addresses = '*'.
set -Eeuo pipefail

say() { printf 'podlab postgres: %s\n' "$*"; }
fail() { # first line, then any more lines as they are
  printf 'podlab postgres: %s\n' "$1" >&2
  shift
  [ $# = 0 ] || printf '%s\n' "$@" >&2
  exit 1
}

# setting NAME [DEFAULT]: NAME from the environment or from the file named by
# NAME_FILE (never both), exported; NAME_FILE is unset.
setting() {
  local name="$1" from_file="${1}_FILE" value="${2:-}"
  if [ -n "${!name:-}" ] && [ -n "${!from_file:-}" ]; then
    fail "both $name and $from_file are set; set one of them"
  fi
  if [ -n "${!name:-}" ]; then
    value="${!name}"
  elif [ -n "${!from_file:-}" ]; then
    value="$(<"${!from_file}")"
  fi
  export "$name=$value"
  unset "$from_file"
}

# True when the server options only ask for help or a version, which needs no data directory.
only_asks_server() {
  local a
  for a in "$@"; do
    case "$a" in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

# Directories the server needs. chmod may be refused (a volume owned by
# someone else); the server then says what is wrong with it.
make_directories() {
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA" 2>/dev/null || true
  mkdir -p /var/run/postgresql 2>/dev/null || true
  chmod 3775 /var/run/postgresql 2>/dev/null || true
  if [ -n "$POSTGRES_INITDB_WALDIR" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    [ "$(id -u)" != 0 ] || chown -R postgres "$POSTGRES_INITDB_WALDIR"
    chmod 0700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$PGDATA"
    chown -R postgres /var/run/postgresql 2>/dev/null || true
  fi
}

# initdb looks its own uid up in the passwd database and stops when it is not
# there (a pod's runAsUser other than 999). nss_wrapper then answers for it:
# a passwd and a group file with one "postgres" entry for this uid and gid.
NSS_FILES=()
pretend_passwd_entry() {
  getent passwd "$(id -u)" >/dev/null && return 0
  local lib
  for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so /lib/*/libnss_wrapper.so; do
    [ -s "$lib" ] || continue
    NSS_WRAPPER_PASSWD="$(mktemp)"
    NSS_WRAPPER_GROUP="$(mktemp)"
    NSS_FILES=("$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP")
    printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" >"$NSS_WRAPPER_PASSWD"
    printf 'postgres:x:%s:\n' "$(id -g)" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return 0
  done
}

forget_passwd_entry() {
  [ ${#NSS_FILES[@]} = 0 ] && return 0
  rm -f "${NSS_FILES[@]}"
  unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
}

run_initdb() {
  local args=(--username="$POSTGRES_USER")
  [ -z "$POSTGRES_INITDB_WALDIR" ] || args+=(--waldir="$POSTGRES_INITDB_WALDIR")
  pretend_passwd_entry
  # initdb refuses an empty password file, so the password always ends with a
  # newline. POSTGRES_INITDB_ARGS is shell words, e.g. '--data-checksums --locale=C'.
  eval 'initdb "${args[@]}" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
  forget_passwd_entry
}

# Connections from anywhere but the pod itself need the password; initdb has
# already trusted the socket and loopback.
allow_network_clients() {
  local method="$POSTGRES_HOST_AUTH_METHOD"
  [ -n "$method" ] || method="$(postgres -C password_encryption "$@")"
  {
    echo
    [ "$method" != trust ] || echo "# POSTGRES_HOST_AUTH_METHOD=trust: any client, no password"
    echo "host all all all $method"
  } >>"$PGDATA/pg_hba.conf"
}

# psql against the temporary server, over its socket, stopping at the first error.
sql() {
  PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

start_temporary_server() {
  local opts
  # socket only: nothing outside the container can connect before the setup is done
  printf -v opts '%q ' "$@" -c "listen_addresses=" -p "${PGPORT:-5432}"
  NOTIFY_SOCKET='' PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$opts" -w start
}

stop_temporary_server() {
  PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
}

create_database() {
  local exists
  exists="$(sql --dbname=postgres --tuples-only --set=db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [ -z "${exists//[[:space:]]/}" ]; then
    sql --dbname=postgres --set=db="$POSTGRES_DB" <<<"CREATE DATABASE :\"db\";"
  fi
}

run_init_files() {
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          say "running $f"
          "$f"
        else
          say "sourcing $f"
          # shellcheck disable=SC1090 # the learner's own script
          . "$f"
        fi
        ;;
      *.sql) say "running $f" && sql --dbname="$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) say "running $f" && gzip -dc "$f" | sql --dbname="$POSTGRES_DB" ;;
      *.sql.xz) say "running $f" && xz -dc "$f" | sql --dbname="$POSTGRES_DB" ;;
      *.sql.zst) say "running $f" && zstd -dc "$f" | sql --dbname="$POSTGRES_DB" ;;
      *) say "ignoring $f" ;;
    esac
  done
}

initialise() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    fail "the database is uninitialised and no superuser password is set." \
      "  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value," \
      "  or POSTGRES_HOST_AUTH_METHOD=trust to let anyone in without one (not recommended)."
  fi
  [ "$POSTGRES_HOST_AUTH_METHOD" != trust ] ||
    echo "podlab postgres: WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets any client in without a password" >&2
  # an unreadable init directory fails here, before initdb half-makes a database
  ls /docker-entrypoint-initdb.d/ >/dev/null
  run_initdb
  allow_network_clients "$@"
  # psql needs it if POSTGRES_INITDB_ARGS made local connections ask for a password
  export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
  start_temporary_server "$@"
  create_database
  run_init_files
  stop_temporary_server
  unset PGPASSWORD
  say "initialised $PGDATA; starting the server"
}

main() {
  [ "${1:0:1}" != - ] || set -- postgres "$@"
  if [ "$1" != postgres ] || only_asks_server "${@:2}"; then
    exec "$@"
  fi
  export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
  setting POSTGRES_PASSWORD
  setting POSTGRES_USER postgres
  setting POSTGRES_DB "$POSTGRES_USER"
  setting POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}" "${POSTGRES_INITDB_WALDIR:=}"
  make_directories
  if [ "$(id -u)" = 0 ]; then
    # the server refuses to run as root: again, as the image's postgres user
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ -s "$PGDATA/PG_VERSION" ]; then
    say "$PGDATA holds a database; no initialisation"
  else
    initialise "${@:2}"
  fi
  exec "$@"
}

main "${@:-postgres}"
