# shellcheck shell=bash
# Library for lab/cluster.sh (sourced): the lab's settings, then its parts by job
# (binaries, supervisor, network, pki, controlplane, commands). See docs/lab.md.

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

# The lab by job, one file each (docs/lab.md, "The lab's bash").
for part in binaries supervisor network pki controlplane commands; do
  # shellcheck source=/dev/null
  source "$REPO_LAB/cluster/$part.sh"
done
unset part
