# shellcheck shell=bash
# The commands of lab/cluster.sh: up, down, status, kubectl, env.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

# Creates the KWOK nodes (kwok keeps them Ready), removes fake nodes beyond
# PODLAB_KWOK_NODES, and waits for them all and the default ServiceAccount.
kwok_node_up() {
  local t n created=0 wanted extra
  t=$(now)
  wanted=" $(kwok_node_names | tr '\n' ' ')"
  for n in $(kwok_node_names); do
    if ! kc get node "$n" >/dev/null 2>&1; then
      node_manifest "$n" | kc create -f - >/dev/null || die "cannot create node $n"
      created=$((created + 1))
    fi
  done
  for n in $(kc get nodes -l type=kwok -o jsonpath='{.items[*].metadata.name}'); do
    case "$wanted" in *" $n "*) ;; *) extra="${extra:-} $n" ;; esac
  done
  if [ -n "${extra:-}" ]; then
    # shellcheck disable=SC2086  # a list of node names
    kc delete node $extra >/dev/null && log "removed nodes beyond PODLAB_KWOK_NODES=$KWOK_NODES:$extra"
  fi
  log "$KWOK_NODES KWOK node(s), $created created"
  wait_for "kwok to hold every node's lease, every node Ready" 90 kwok_nodes_ready || { dump_logs; die "kwok does not manage all of: $(kwok_node_names | tr '\n' ' ')"; }
  wait_node_ready 90 "$t"
}

# Either node's last step: waits up to $1 s for the node to be Ready, then for
# the default ServiceAccount (pods need it), and logs the time since $2.
wait_node_ready() {
  wait_for "node $NODE_NAME Ready and untainted" "$1" node_ready || { dump_logs; die "node not ready"; }
  wait_for "default ServiceAccount" 60 default_sa || { dump_logs; die "no default ServiceAccount"; }
  log "node Ready, default ServiceAccount present ($(elapsed "$2"))"
}

# Serialise up/down/build on one lock file (beside the state dir, so --purge keeps it).
lab_lock() {
  local lock
  lock="$(dirname "$STATE")/.$(basename "$STATE").lock" # .lab.lock; .lab-real.lock for the real node
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$lock"
  command -v flock >/dev/null || return 0
  flock -w 600 9 || die "another lab/cluster.sh holds $lock"
}

lab_up() {
  local t0 t started=""
  t0=$(now)
  [ "$(id -u)" = 0 ] || die "the lab needs root (dummy interface, blackhole routes)"
  # If this machine cannot run real containers, say where the fallback is.
  [ "$PODLAB_NODE" = real ] && DIE_HINT="the real node's lab did not come up; PODLAB_NODE=kwok starts the fallback lab (API server and a KWOK node, no containers)"
  lab_lock
  ensure_deps
  if ! k8s_built || ! kwok_built; then
    t=$(now)
    lab_build
    log "build took $(elapsed "$t")"
  fi
  if declare -F node_build >/dev/null; then
    t=$(now)
    node_build
    log "crictl, kube-router and images checked in $(elapsed "$t")"
  fi
  mkdir -p "$STATE" "$LOGS" "$PIDS"
  chmod 700 "$STATE"

  # Inconsistent state -> clean reset (keeps logs).
  local fp
  fp="$(lab_fingerprint)"
  if [ -f "$STATE/fingerprint" ] && [ "$(cat "$STATE/fingerprint")" != "$fp" ]; then
    log "lab settings changed ($(cat "$STATE/fingerprint") -> $fp): resetting state"
    rm -f "$ADMIN_KUBECONFIG"
    stop_all
    net_down
    rm -rf "$STATE/etcd" "$PKI" "$KCFG" "$STATE/kwok"
  fi
  if ! pki_ok; then
    t=$(now)
    rm -f "$ADMIN_KUBECONFIG"
    stop_all # running processes would hold old certificates
    rm -rf "$STATE/etcd"  # data written under an old service-account key/CA is not worth keeping
    pki_create
    log "PKI took $(elapsed "$t")"
  fi
  echo "$fp" >"$STATE/fingerprint"
  net_up

  t=$(now)
  if running etcd; then
    log "etcd already running (pid $(pid_of etcd))"
  else
    start_etcd
    started="$started etcd"
    if ! wait_proc etcd "etcd health" 30 etcd_healthy; then
      log "etcd did not become healthy; resetting its data (old copy: $STATE/etcd.broken)"
      stop_all
      rm -rf "$STATE/etcd.broken"
      mv "$STATE/etcd" "$STATE/etcd.broken"
      start_etcd
    fi
  fi
  wait_proc etcd "etcd health" 30 etcd_healthy || { dump_logs; die "etcd is not healthy"; }
  log "etcd healthy ($(elapsed "$t"))"

  t=$(now)
  running kube-apiserver || { start_apiserver; started="$started kube-apiserver"; }
  wait_proc kube-apiserver "kube-apiserver /readyz" 120 api_ready || { dump_logs; die "kube-apiserver not ready"; }
  log "kube-apiserver ready ($(elapsed "$t"))"

  t=$(now)
  running kube-controller-manager || { start_controller_manager; started="$started kube-controller-manager"; }
  running kube-scheduler || { start_scheduler; started="$started kube-scheduler"; }
  if [ "$PODLAB_NODE" = kwok ] && ! running kwok; then
    # A node lease left by a previous kwok (random holder id per process) would
    # keep the new one from managing the node until it expires (~40s).
    # shellcheck disable=SC2046  # node names
    kc -n kube-node-lease delete lease $(kwok_node_names) --ignore-not-found >/dev/null 2>&1 || true
    start_kwok
    started="$started kwok"
  fi
  wait_proc kube-controller-manager "kube-controller-manager healthz" 60 healthz_ok "https://127.0.0.1:$KCM_PORT" || { dump_logs; die "kube-controller-manager not healthy"; }
  wait_proc kube-scheduler "kube-scheduler healthz" 60 healthz_ok "https://127.0.0.1:$SCHED_PORT" || { dump_logs; die "kube-scheduler not healthy"; }
  if [ "$PODLAB_NODE" = real ]; then
    log "controller-manager, scheduler healthy ($(elapsed "$t"))"
    real_node_up # containerd, images, kubelet; waits for the node (lab/node/lib.sh)
  else
    wait_proc kwok "kwok healthz" 60 healthz_ok "http://127.0.0.1:$KWOK_PORT" || { dump_logs; die "kwok not healthy"; }
    log "controller-manager, scheduler, kwok healthy ($(elapsed "$t"))"
    kwok_node_up
  fi

  cp "$KCFG/admin.kubeconfig" "$ADMIN_KUBECONFIG.tmp"
  mv -f "$ADMIN_KUBECONFIG.tmp" "$ADMIN_KUBECONFIG"
  log "lab up in $(elapsed "$t0") (started:${started:- nothing, already running})"
  log "kubeconfig: $ADMIN_KUBECONFIG   kubectl: $KUBECTL"
}

lab_down() {
  local purge=0
  [ "${1:-}" = --purge ] && purge=1
  lab_lock
  if [ -d "$STATE" ]; then
    stop_all
    net_down
    rm -f "$ADMIN_KUBECONFIG"
  fi
  if [ $purge = 1 ] && [ -d "$STATE" ]; then
    case "$STATE" in */podlab/lab | */lab | */lab-real) rm -rf "$STATE" && log "purged $STATE" ;; *) die "refusing to purge $STATE" ;; esac
  fi
  log "lab down"
}

lab_status() {
  local c ok=0 pid
  for c in $COMPONENTS; do
    pid="$(pid_of "$c")"
    if is_ours "$c" "$pid"; then
      printf '%-24s running  pid %-7s %s\n' "$c" "$pid" "$(component_addr "$c")"
    else
      printf '%-24s stopped\n' "$c"
      ok=1
    fi
  done
  if [ $ok = 0 ] && [ -f "$ADMIN_KUBECONFIG" ] && api_ready; then
    echo "apiserver  https://$APISERVER_BIND_ADDR:$API_PORT  (readyz ok)"
    echo "kubeconfig $ADMIN_KUBECONFIG"
    echo "kubectl    $KUBECTL"
    return 0
  fi
  echo "lab is not up (state: $STATE)"
  return 1
}

lab_kubectl() { exec "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

lab_env() {
  # shellcheck disable=SC2016
  printf 'export KUBECONFIG=%q\nexport PATH=%q:"$PATH"\n' "$ADMIN_KUBECONFIG" "$K8S_BIN"
}
