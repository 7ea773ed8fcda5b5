#!/bin/sh
# podlab.local/curl's entrypoint, behaving as curlimages/curl's: arguments that
# start with an option, or whose first word is no command, are curl's
# arguments; anything else runs as it is (e.g. `sh -c ...`).
set -e
case "$1" in
  -*) set -- curl "$@" ;;
  *) command -v "$1" >/dev/null 2>&1 || set -- curl "$@" ;;
esac
exec "$@"
