# shellcheck shell=bash
# etcd, the API server, the controller manager, the scheduler and KWOK: their flags, health checks and nodes.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

CURL_ADMIN=(--cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")

etcd_healthy() {
  curl -sf --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/etcd-client.crt" --key "$PKI/etcd-client.key" \
    "https://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'
}
api_ready() { curl -sf --max-time 3 "${CURL_ADMIN[@]}" "https://$APISERVER_BIND_ADDR:$API_PORT/readyz" | grep -qx ok; }
healthz_ok() { curl -skf --max-time 2 "$1/healthz" | grep -qx ok; }

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

check_port_free() { # name port
  port_busy "$2" && die "port $2 (for $1) is in use by a process this lab did not start: $(ss -Hltnp "sport = :$2" | head -1)"
  return 0
}

start_etcd() {
  check_port_free etcd "$ETCD_PORT"
  check_port_free etcd-peer "$ETCD_PEER_PORT"
  mkdir -p "$STATE/etcd"
  chmod 700 "$STATE/etcd"
  local u="https://127.0.0.1"
  start_proc etcd -- "$(command -v etcd)" --name podlab --data-dir "$STATE/etcd" \
    --listen-client-urls "$u:$ETCD_PORT" --advertise-client-urls "$u:$ETCD_PORT" \
    --listen-peer-urls "$u:$ETCD_PEER_PORT" --initial-advertise-peer-urls "$u:$ETCD_PEER_PORT" \
    --initial-cluster "podlab=$u:$ETCD_PEER_PORT" --initial-cluster-state new --initial-cluster-token podlab \
    --cert-file "$PKI/etcd-server.crt" --key-file "$PKI/etcd-server.key" --trusted-ca-file "$PKI/ca.crt" --client-cert-auth \
    --peer-cert-file "$PKI/etcd-server.crt" --peer-key-file "$PKI/etcd-server.key" --peer-trusted-ca-file "$PKI/ca.crt" --peer-client-cert-auth \
    --snapshot-count 10000 --logger zap --log-outputs stderr
}

start_apiserver() {
  check_port_free kube-apiserver "$API_PORT"
  start_proc kube-apiserver -- "$K8S_BIN/kube-apiserver" \
    --bind-address="$APISERVER_BIND_ADDR" --secure-port="$API_PORT" --advertise-address="$LAB_ADDR" \
    --etcd-servers="https://127.0.0.1:$ETCD_PORT" --etcd-cafile="$PKI/ca.crt" \
    --etcd-certfile="$PKI/etcd-client.crt" --etcd-keyfile="$PKI/etcd-client.key" \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,DenyServiceExternalIPs \
    --allow-privileged=true --profiling=false --v=1 \
    --anonymous-auth=false \
    --service-account-max-token-expiration="$SERVICE_ACCOUNT_MAX_TOKEN_EXPIRATION" \
    --service-account-extend-token-expiration=false \
    --encryption-provider-config="$PKI/encryption-config.yaml" \
    --audit-policy-file="$REPO_LAB/cluster/audit-policy.yaml" --audit-log-path="$LOGS/audit.log" \
    --audit-log-maxage=30 --audit-log-maxbackup=10 --audit-log-maxsize=100 \
    --tls-min-version=VersionTLS12 --tls-cipher-suites="$TLS_CIPHER_SUITES" \
    --feature-gates=WatchList=false "${APISERVER_EXTRA_ARGS[@]}"
  # WatchList=false: etcd 3.4.23 has no RequestWatchProgress, and with WatchList
  # on (beta, default in 1.32) the apiserver turns every RV=0 watch into a
  # watch-list request and then rejects it; kwok always watches from RV=0, so it
  # only saw changes on relists (pods Running/deleted 20-40s late).
}

start_controller_manager() {
  check_port_free kube-controller-manager "$KCM_PORT"
  local k="$KCFG/controller-manager.kubeconfig"
  start_proc kube-controller-manager -- "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$k" --authentication-kubeconfig="$k" --authorization-kubeconfig="$k" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-cidr="$POD_CIDR" --allocate-node-cidrs=false \
    --cluster-name=podlab --profiling=false --v=1
}

start_scheduler() {
  check_port_free kube-scheduler "$SCHED_PORT"
  local k="$KCFG/scheduler.kubeconfig"
  start_proc kube-scheduler -- "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$k" --authentication-kubeconfig="$k" --authorization-kubeconfig="$k" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false --profiling=false --v=1
}

start_kwok() {
  check_port_free kwok "$KWOK_PORT"
  mkdir -p "$STATE/kwok"
  # KWOK_WORKDIR keeps kwok from reading ~/.kwok/kwok.yaml; no --config: built-in stages.
  start_proc kwok KWOK_WORKDIR="$STATE/kwok" -- "$KWOK_BIN/kwok" \
    --kubeconfig="$KCFG/kwok.kubeconfig" --manage-all-nodes=true \
    --cidr="$KWOK_POD_CIDR" --node-ip="$LAB_ADDR" --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$KWOK_PORT"
}

component_addr() {
  case "$1" in
    etcd) echo "127.0.0.1:$ETCD_PORT" ;;
    kube-apiserver) echo "$APISERVER_BIND_ADDR:$API_PORT" ;;
    kube-controller-manager) echo "127.0.0.1:$KCM_PORT" ;;
    kube-scheduler) echo "127.0.0.1:$SCHED_PORT" ;;
    kwok) echo "127.0.0.1:$KWOK_PORT" ;;
    containerd) echo "unix://$CTR_SOCK" ;;
    kubelet) echo "$LAB_ADDR:$KUBELET_PORT" ;;
    kube-router) echo "no port: NetworkPolicy in iptables and ipsets" ;;
  esac
}

node_manifest() { # [node name, default $NODE_NAME]
  local name="${1:-$NODE_NAME}"
  cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec: {}
status:
  allocatable: {cpu: "32", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "32", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  nodeInfo: {kubeletVersion: $K8S_VERSION, osImage: podlab KWOK node, containerRuntimeVersion: "kwok://${KWOK_VERSION#v}",
    architecture: amd64, operatingSystem: linux}
YAML
}

node_ready() { # [node name, default $NODE_NAME]
  local out
  out="$(kc get node "${1:-$NODE_NAME}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} {.spec.taints}')" || return 1
  [ "$out" = "True " ]
}

node_lease_held() { # [node name, default $NODE_NAME]
  kc -n kube-node-lease get lease "${1:-$NODE_NAME}" -o jsonpath='{.spec.holderIdentity}' | grep -q .
}

# The KWOK lab's node names, one a line: podlab-kwok-0 .. podlab-kwok-<PODLAB_KWOK_NODES - 1>.
kwok_node_names() {
  local i
  for ((i = 0; i < KWOK_NODES; i++)); do echo "podlab-kwok-$i"; done
}

# Every KWOK node Ready and untainted, each lease held by kwok.
kwok_nodes_ready() {
  local n
  for n in $(kwok_node_names); do node_ready "$n" && node_lease_held "$n" || return 1; done
}

default_sa() { kc -n default get serviceaccount default; }

dump_logs() {
  local c
  for c in $COMPONENTS; do
    [ -f "$LOGS/$c.log" ] || continue
    echo "----- $LOGS/$c.log (tail)" >&2
    tail -n 8 "$LOGS/$c.log" >&2
  done
}

stop_all() {
  local c
  if declare -F real_node_stop >/dev/null; then real_node_stop; fi
  for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$c"; done
}

ensure_deps() {
  local missing=() c
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v ss >/dev/null || missing+=(iproute2)
  command -v setsid >/dev/null || missing+=(util-linux)
  if declare -F node_ensure_deps >/dev/null; then node_ensure_deps; fi
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages: ${missing[*]}"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
  for c in etcd openssl curl ip ss setsid; do command -v "$c" >/dev/null || die "$c still missing"; done
}
