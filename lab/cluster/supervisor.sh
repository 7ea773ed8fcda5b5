# shellcheck shell=bash
# The lab's process supervisor: pid files, the is_ours check, starting and stopping daemons, waiting for them.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

# A pid file holds the pid of a process this lab started. It counts as
# running only if /proc/PID/cmdline still shows our binary and our state dir
# (guards against pid reuse after a crash or reboot).
pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }

is_ours() { # name pid
  local pid="$2" exe
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  case "$1" in
    etcd) exe="$(command -v etcd || echo /usr/bin/etcd)" ;;
    kwok) exe="$KWOK_BIN/kwok" ;;
    containerd) exe=/usr/bin/containerd ;;
    kube-router) exe="$KUBE_ROUTER" ;;
    *) exe="$K8S_BIN/$1" ;;
  esac
  local cmdline
  cmdline="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [ "$(head -n1 <<<"$cmdline")" = "$exe" ] || return 1
  grep -qF -- "$STATE/" <<<"$cmdline" || return 1
  # a zombie/defunct process is not running
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

running() { is_ours "$1" "$(pid_of "$1")"; }

# Closes every open file descriptor above 2 of the current (sub)shell.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

# start NAME ENV... -- EXE ARGS...: detached (own session), log to logs/NAME.log
start_proc() {
  local name="$1"
  shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  {
    printf '\n===== %s start %s\n' "$(date -Is)" "$name"
    printf '%q ' "$@"
    echo
  } >>"$LOGS/$name.log"
  # In a non-interactive shell the background child is not a process-group
  # leader, so setsid(1) calls setsid() and execs in place: $! is the real pid.
  # Clean environment: no proxy variables, no ETCD_*/KUBECONFIG from the caller.
  # No inherited file descriptor but stdin/out/err: fd 9 is the lab's own lock, and a caller's
  # (a `flock FILE cmd` around a session) would otherwise stay locked for as long as the daemons run.
  (cd "$STATE" && close_inherited_fds && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$STATE" "${envs[@]}" setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null) &
  local pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  # let exec happen before anyone checks cmdline
  for _ in $(seq 1 50); do is_ours "$name" "$pid" && return 0; [ -d "/proc/$pid" ] || break; sleep 0.1; done
  tail -n 20 "$LOGS/$name.log" >&2
  die "$name did not start (see $LOGS/$name.log)"
}

stop_proc() { # name
  local name="$1" pid
  pid="$(pid_of "$name")"
  if [ -z "$pid" ]; then return 0; fi
  if is_ours "$name" "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do is_ours "$name" "$pid" || break; sleep 0.2; done
    if is_ours "$name" "$pid"; then
      log "$name (pid $pid) ignored SIGTERM for 20s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do is_ours "$name" "$pid" || break; sleep 0.2; done
    fi
    log "stopped $name (pid $pid)"
  elif [ -d "/proc/$pid" ]; then
    log "$name: pid file names pid $pid, which is not a process of this lab; not touching it"
  fi
  rm -f "$PIDS/$name.pid"
}

wait_for() { # description timeout-seconds command...
  local what="$1" timeout="$2"
  shift 2
  local deadline=$(($(date +%s) + timeout))
  local rc
  while :; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    [ $rc = 0 ] && return 0
    [ $rc = 2 ] && return 1
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out after ${timeout}s waiting for $what"; return 1; }
    sleep 0.25
  done
}

# like wait_for, but gives up at once if component NAME exits meanwhile
wait_proc() { # name description timeout-seconds command...
  local name="$1"
  shift
  wait_for "$1" "$2" proc_check "$name" "${@:3}" && return 0
  if ! running "$name"; then
    log "$name exited; last lines of $LOGS/$name.log:"
    tail -n 5 "$LOGS/$name.log" | cut -c1-300 >&2
  fi
  return 1
}
proc_check() { # name command...: 0 = command ok, 2 = NAME is gone (stop waiting)
  local name="$1"
  shift
  "$@" && return 0
  running "$name" || return 2
  return 1
}

kc() { "$KUBECTL" --kubeconfig "$KCFG/admin.kubeconfig" --cache-dir "$STATE/kube-cache" "$@"; }
