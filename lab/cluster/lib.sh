# shellcheck shell=bash
# Library for lab/cluster.sh (sourced). See docs/lab.md.

# shellcheck source=../lib/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/versions.sh"
K8S_VERSION=$PODLAB_K8S_VERSION
KWOK_VERSION=$PODLAB_KWOK_VERSION
REPO_LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_MOD="$REPO_LAB/k8s"
KWOK_MOD="$REPO_LAB/k8s/kwok"

CACHE="${PODLAB_CACHE:-$HOME/.cache/podlab}"
K8S_BIN="$CACHE/k8s/$K8S_VERSION/bin"
KWOK_BIN="$CACHE/kwok/$KWOK_VERSION/bin"
KUBECTL="$K8S_BIN/kubectl"
# kubelet runs only on the real node (the default, PODLAB_NODE=real; lab/node/lib.sh).
K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet"

STATE="${PODLAB_STATE:-$HOME/.local/state/podlab}/lab"
PKI="$STATE/pki"
KCFG="$STATE/kubeconfigs"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
ADMIN_KUBECONFIG="$STATE/kubeconfig"

# Network layout (all local; see docs/lab.md). 192.0.2.0/24 is this VM's eth0,
# so the advertise address (on the dummy/bridge podlab0) is from TEST-NET-2 (RFC 5737).
LAB_IF=podlab0
LAB_ADDR=198.51.100.10
LAB_RANGE=198.51.100.0/24 # blackholed except LAB_ADDR (local route wins)
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP1=10.96.0.1
POD_CIDR=10.244.0.0/16
# KWOK hands out pod IPs counting up from this address (it keeps the host
# part, so .1 avoids giving the first pod the network address 10.244.0.0).
# The Nodes get no spec.podCIDR: kwok would count from that CIDR's .0 instead,
# and without one every node draws from this one pool, so pod IPs are unique
# across nodes. A /22: room for 1022 pods (a class of 100 has 300); lab/env
# exports the same range as PODLAB_POD_CIDR.
KWOK_POD_CIDR=10.244.0.1/22
# PODLAB_KWOK_NODES: how many fake nodes the KWOK lab has (podlab-kwok-0, -1, ...),
# 110 pods each; the scheduler spreads pods over them as over a real multi-node
# cluster. Changing it on a running lab adds or removes nodes at the next `up`.
KWOK_NODES="${PODLAB_KWOK_NODES:-10}"
NODE_NAME=podlab-kwok-0
API_PORT="${PODLAB_API_PORT:-6443}"
ETCD_PORT="${PODLAB_ETCD_PORT:-32379}"
ETCD_PEER_PORT="${PODLAB_ETCD_PEER_PORT:-32380}"
KCM_PORT="${PODLAB_KCM_PORT:-10257}"
SCHED_PORT="${PODLAB_SCHED_PORT:-10259}"
KWOK_PORT="${PODLAB_KWOK_PORT:-10247}"
COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler kwok"
# How the address holder is made and which ranges are blackholed (the real node
# needs a real bridge with a /24 for its pods; see lab/node/lib.sh).
LAB_IF_KIND=dummy-or-bridge
LAB_ADDR_PREFIX=32
BLACKHOLES="$SERVICE_CIDR $POD_CIDR $LAB_RANGE"
# Where the API server listens: loopback here; the real node's bridge address
# (lab/node/lib.sh), so that a pod the network fence allows (the workbench) reaches it.
# Never 0.0.0.0: nothing on the VM's own interfaces may see it.
APISERVER_BIND_ADDR=127.0.0.1
# Hardening shared by both labs (CIS Kubernetes Benchmark, API server section;
# docs/lab.md, "The node, hardened", lists what is applied and each exception).
# Tokens from the TokenRequest API live at most this long (a class day, with
# margin); a longer request is granted this. `course up` renews a credential
# with less than an hour left.
SERVICE_ACCOUNT_MAX_TOKEN_EXPIRATION=24h
# TLS 1.2 suites the benchmark accepts that Go's TLS implements (ECDHE with AEAD
# ciphers only); TLS 1.3 suites are not configurable. Used by the kubelet too.
TLS_CIPHER_SUITES=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305
# Set by the real-node mode only.
APISERVER_EXTRA_ARGS=()
FINGERPRINT_EXTRA=""
PKI_EXTRA_CERTS=""
PKI_EXTRA_KUBECONFIGS=""

# PODLAB_NODE=real (default): a kubelet on containerd running real containers.
# PODLAB_NODE=kwok: the fallback, one KWOK fake node (API only, no containers),
# a lab of its own (state dir, ports, bridge, ranges) beside the real one.
PODLAB_NODE="${PODLAB_NODE:-real}"
case "$PODLAB_NODE" in
  kwok)
    [[ "$KWOK_NODES" =~ ^[1-9][0-9]?$|^100$ ]] || {
      echo "PODLAB_KWOK_NODES must be a whole number of nodes in 1-100, not '$KWOK_NODES'" >&2
      exit 2
    }
    ;;
  real)
    # shellcheck source-path=SCRIPTDIR source=../node/lib.sh
    source "$REPO_LAB/node/lib.sh"
    ;;
  *)
    echo "PODLAB_NODE must be kwok or real, not '$PODLAB_NODE'" >&2
    exit 2
    ;;
esac

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  [ -z "${DIE_HINT:-}" ] || log "$DIE_HINT"
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

# ---------------------------------------------------------------- build

k8s_ldflags() {
  local minor="${K8S_VERSION#v1.}" ld="-s -w" pkg
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ld"
}

build_inputs_hash() {
  (cd "$K8S_MOD" && cat go.mod go.sum cmd/*/main.go; echo "$K8S_VERSION $K8S_BINARIES $(k8s_ldflags)") | sha256sum | cut -c1-16
}

k8s_built() {
  local b
  for b in $K8S_BINARIES; do [ -x "$K8S_BIN/$b" ] || return 1; done
  [ "$(cat "$K8S_BIN/.stamp" 2>/dev/null)" = "$(build_inputs_hash)" ] || return 1
  "$K8S_BIN/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"
}

# A binary built from a wrapper module of ours (lab/k8s/kwok, lab/node/crictl,
# lab/node/kube-router): its go.mod and go.sum pin it, and their hash, stamped
# beside the binary, tells whether it is current.
wrapper_stamp() { (cd "$1" && cat go.mod go.sum) | sha256sum | cut -c1-16; }
wrapper_built() { # binary module-dir
  [ -x "$1" ] && [ "$(cat "$(dirname "$1")/.stamp" 2>/dev/null)" = "$(wrapper_stamp "$2")" ]
}
wrapper_build() { # binary module-dir package ldflags
  go_env
  mkdir -p "$(dirname "$1")"
  log "building $3 into $(dirname "$1")"
  (cd "$2" && timed_go_build "$1" "$3" "$4")
  wrapper_stamp "$2" >"$(dirname "$1")/.stamp"
}

kwok_built() { wrapper_built "$KWOK_BIN/kwok" "$KWOK_MOD"; }

# Go from PATH (or /usr/local/go), never a downloaded toolchain.
go_env() {
  command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && PATH="/usr/local/go/bin:$PATH"; }
  command -v go >/dev/null || die "go not found"
  export GOFLAGS="${GOFLAGS:--buildvcs=false}"
  export GOTOOLCHAIN=local # never try to download a Go toolchain
}

# go build one main package, measured with /usr/bin/time -v when available.
timed_go_build() { # out pkg ldflags
  local out="$1" pkg="$2" ldflags="$3" t0 tv
  t0=$(now)
  tv="$(mktemp)"
  local timecmd=()
  [ -x /usr/bin/time ] && timecmd=(/usr/bin/time -v -o "$tv")
  CGO_ENABLED=0 "${timecmd[@]}" go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg" ||
    { rm -f "$tv" "$out.tmp"; die "go build $pkg failed"; }
  mv -f "$out.tmp" "$out"
  local rss=""
  [ -s "$tv" ] && rss="$(awk -F': ' '/Maximum resident/{printf ", peak RSS %d MiB", $2/1024}' "$tv")"
  rm -f "$tv"
  log "built $(basename "$out") in $(elapsed "$t0")$rss, $(du -m "$out" | cut -f1) MiB"
}

lab_build() {
  go_env
  local t0 b
  t0=$(now)
  if k8s_built; then
    log "kubernetes $K8S_VERSION binaries present in $K8S_BIN"
  else
    mkdir -p "$K8S_BIN"
    rm -f "$K8S_BIN/.stamp"
    local ld
    ld="$(k8s_ldflags)"
    log "building kubernetes $K8S_VERSION ($K8S_BINARIES) into $K8S_BIN"
    (cd "$K8S_MOD" && go mod download) || die "go mod download failed in $K8S_MOD"
    for b in $K8S_BINARIES; do
      (cd "$K8S_MOD" && timed_go_build "$K8S_BIN/$b" "./cmd/$b" "$ld")
    done
    build_inputs_hash >"$K8S_BIN/.stamp"
  fi
  if kwok_built; then
    log "kwok $KWOK_VERSION present in $KWOK_BIN"
  else
    wrapper_build "$KWOK_BIN/kwok" "$KWOK_MOD" sigs.k8s.io/kwok/cmd/kwok \
      "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
  fi
  if declare -F node_build >/dev/null; then node_build; fi
  log "build done in $(elapsed "$t0"); disk: $(du -sh "$K8S_BIN" | cut -f1) k8s, $(du -sh "$KWOK_BIN" | cut -f1) kwok"
}

# ---------------------------------------------------------------- processes

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

# ---------------------------------------------------------------- network
# Records what it added in $STATE/net.added so `down` removes only that.

net_record() { grep -qxF "$1" "$STATE/net.added" 2>/dev/null || echo "$1" >>"$STATE/net.added"; }

net_up() {
  command -v ip >/dev/null || die "ip (iproute2) not found"
  if ! ip link show "$LAB_IF" >/dev/null 2>&1; then
    # Prefer a dummy link; some kernels (this Firecracker VM) lack CONFIG_DUMMY,
    # and a bridge with no ports behaves the same: a local-only address holder.
    # The real node needs a bridge (its pods are plugged into it).
    { [ "$LAB_IF_KIND" = dummy-or-bridge ] && ip link add "$LAB_IF" type dummy 2>/dev/null; } ||
      ip link add "$LAB_IF" type bridge || die "cannot create interface $LAB_IF (needs root/CAP_NET_ADMIN)"
    net_record "link $LAB_IF"
    # no IPv6 link-local chatter on it
    sysctl -qw "net.ipv6.conf.$LAB_IF.disable_ipv6=1" 2>/dev/null || true
  fi
  ip link set "$LAB_IF" up
  if ! ip -4 addr show dev "$LAB_IF" | grep -qF " $LAB_ADDR/$LAB_ADDR_PREFIX "; then
    ip addr add "$LAB_ADDR/$LAB_ADDR_PREFIX" dev "$LAB_IF"
  fi
  # (The link is recorded only when this lab created it: a second lab on the same
  # interface, e.g. another PODLAB_STATE, must not remove it on its `down`.)
  local cidr
  for cidr in $BLACKHOLES; do
    if ! ip route show type blackhole "$cidr" | grep -q .; then
      ip route add blackhole "$cidr" || die "cannot add blackhole route $cidr"
      net_record "blackhole $cidr"
    fi
  done
  if declare -F node_net_up >/dev/null; then node_net_up; fi
}

net_down() {
  if declare -F node_net_down >/dev/null; then node_net_down; fi
  [ -f "$STATE/net.added" ] || return 0
  local kind what
  while read -r kind what; do
    case "$kind" in
      link) if ip link del "$what" 2>/dev/null; then log "removed interface $what"; fi ;;
      blackhole) if ip route del blackhole "$what" 2>/dev/null; then log "removed blackhole route $what"; fi ;;
    esac
  done <"$STATE/net.added"
  rm -f "$STATE/net.added"
}

# ---------------------------------------------------------------- PKI

# Settings that are baked into certificates/state; a change resets the lab.
lab_fingerprint() {
  echo "k8s=$K8S_VERSION addr=$LAB_ADDR svc=$SERVICE_CIDR pod=$POD_CIDR api=$API_PORT etcd=$ETCD_PORT/$ETCD_PEER_PORT node=$NODE_NAME$FINGERPRINT_EXTRA"
}

sign_cert() { # name subject ext(client|server|peer) [san]
  local name="$1" subj="$2" kind="$3" san="${4:-}" eku
  case "$kind" in
    client) eku=clientAuth ;;
    server) eku=serverAuth ;;
    peer) eku="serverAuth,clientAuth" ;;
  esac
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  chmod 600 "$PKI/$name.key"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

kubeconfig() { # name cert-name
  local f="$KCFG/$1.kubeconfig"
  cat >"$f.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: podlab
  cluster:
    server: https://$APISERVER_BIND_ADDR:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$2.crt")
    client-key-data: $(base64 -w0 <"$PKI/$2.key")
contexts:
- name: podlab
  context: {cluster: podlab, user: $1}
current-context: podlab
KC
  chmod 600 "$f.tmp"
  mv -f "$f.tmp" "$f"
}

# Secrets are encrypted in etcd (CIS 1.2.27/1.2.28) with a key made with the PKI
# and kept beside it (0600); a new PKI means a new etcd, so no data outlives its key.
encryption_config_create() {
  local f="$PKI/encryption-config.yaml"
  (umask 077 && cat >"$f.tmp" <<ENC
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - secretbox:
          keys:
            - name: key1
              secret: $(head -c 32 /dev/urandom | base64 -w0)
      - identity: {}
ENC
  )
  mv -f "$f.tmp" "$f"
}

# A certificate with its key, signed by the lab CA, valid for 30 more days (renewed well before expiry).
cert_ok() {
  [ -s "$PKI/$1.key" ] && openssl verify -CAfile "$PKI/ca.crt" "$PKI/$1.crt" >/dev/null 2>&1 &&
    openssl x509 -in "$PKI/$1.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1
}

pki_ok() {
  local c
  [ -s "$PKI/ca.key" ] && [ -s "$PKI/sa.key" ] && [ -s "$PKI/sa.pub" ] && [ -s "$PKI/encryption-config.yaml" ] || return 1
  for c in apiserver apiserver-kubelet-client etcd-server etcd-client admin controller-manager scheduler kwok $PKI_EXTRA_CERTS; do
    cert_ok "$c" || return 1
  done
  for c in admin controller-manager scheduler kwok $PKI_EXTRA_KUBECONFIGS; do [ -s "$KCFG/$c.kubeconfig" ] || return 1; done
}

pki_create() {
  log "creating CA, certificates and kubeconfigs in $PKI"
  rm -rf "$PKI" "$KCFG"
  mkdir -p "$PKI" "$KCFG"
  chmod 700 "$PKI" "$KCFG"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=podlab-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  encryption_config_create
  sign_cert apiserver "/CN=kube-apiserver" server \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP1,IP:$LAB_ADDR"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client
  sign_cert etcd-server "/CN=podlab-etcd" peer "DNS:localhost,IP:127.0.0.1"
  sign_cert etcd-client "/CN=kube-apiserver-etcd-client" client
  sign_cert admin "/O=system:masters/CN=podlab-admin" client
  sign_cert controller-manager "/CN=system:kube-controller-manager" client
  sign_cert scheduler "/CN=system:kube-scheduler" client
  # KWOK impersonates kubelets for many nodes and force-deletes pods: cluster-admin.
  sign_cert kwok "/O=system:masters/CN=podlab-kwok" client
  chmod 600 "$PKI"/*.key
  kubeconfig admin admin
  kubeconfig controller-manager controller-manager
  kubeconfig scheduler scheduler
  kubeconfig kwok kwok
  if declare -F node_pki_create >/dev/null; then node_pki_create; fi
}

# ---------------------------------------------------------------- components

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

# ---------------------------------------------------------------- commands

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
