# shellcheck shell=bash disable=SC2034 # sets the settings lab/cluster/lib.sh uses
# The lab's real node, its default: bash lab/cluster.sh up (PODLAB_NODE=kwok: the fallback)
#
# Sourced by lab/cluster/lib.sh after its own (KWOK) settings. It replaces the
# settings that must differ so that this lab runs beside the KWOK lab (state
# dir, ports, interface, address ranges), and adds three components instead of
# kwok: containerd (Debian's, with runc and the CNI plugins), a kubelet built
# from the same Kubernetes modules as the control plane, and kube-router's
# NetworkPolicy controller (lab/node/networkpolicy.sh). See docs/lab.md.

NODE_SRC="$REPO_LAB/node"
# shellcheck source-path=SCRIPTDIR source=../images/images.sh
source "$REPO_LAB/images/images.sh"
# shellcheck source-path=SCRIPTDIR source=networkpolicy.sh
source "$NODE_SRC/networkpolicy.sh"

# ---------------------------------------------------------------- settings

STATE="${PODLAB_STATE:-$HOME/.local/state/podlab}/lab-real"
PKI="$STATE/pki"
KCFG="$STATE/kubeconfigs"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
ADMIN_KUBECONFIG="$STATE/kubeconfig"
NODE_STATE="$STATE/node"

# A bridge that holds the node's address and that the CNI bridge plugin plugs
# pods into. Pods get 10.245.0.2-254 and a route to that /24 only: no default
# route, no masquerade, and the host keeps net.ipv4.ip_forward as it is (0 here).
# The KWOK lab uses podlab0, 198.51.100.10, 10.244.0.0/16 and 10.96.0.0/16: no overlap.
LAB_IF=podlab1
LAB_IF_KIND=bridge
LAB_ADDR=10.245.0.1
LAB_ADDR_PREFIX=24
POD_CIDR=10.245.0.0/24
POD_RANGE_START=10.245.0.2
POD_RANGE_END=10.245.0.254
LAB_RANGE=10.245.0.0/16 # blackholed; the bridge's /24 route is more specific
SERVICE_CIDR=10.97.0.0/16
SERVICE_IP1=10.97.0.1
# Pods' resolv.conf names this address; there is no DNS service and no route
# to it from a pod, so a lookup fails at once on the pod's side.
CLUSTER_DNS=10.97.0.10
BLACKHOLES="$SERVICE_CIDR $LAB_RANGE"
NODE_NAME=podlab-node-0
CNI_NET=podlab-real
CGROUP_ROOT=podlab-real

API_PORT="${PODLAB_API_PORT:-6444}"
ETCD_PORT="${PODLAB_ETCD_PORT:-32391}"
ETCD_PEER_PORT="${PODLAB_ETCD_PEER_PORT:-32392}"
KCM_PORT="${PODLAB_KCM_PORT:-10267}"
SCHED_PORT="${PODLAB_SCHED_PORT:-10269}"
KUBELET_PORT="${PODLAB_KUBELET_PORT:-10250}"
KUBELET_HEALTHZ_PORT="${PODLAB_KUBELET_HEALTHZ_PORT:-10248}"
COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-router"

CTR_SOCK="$STATE/containerd/containerd.sock"
CONTAINERD=/usr/bin/containerd
CRICTL_VERSION=$PODLAB_CRICTL_VERSION # lab/lib/versions.sh, sourced by lab/cluster/lib.sh
CRICTL_MOD="$NODE_SRC/crictl"
CRICTL="$CACHE/crictl/$CRICTL_VERSION/bin/crictl"

# The API server listens on the bridge address only (not loopback, never
# 0.0.0.0): every lab kubeconfig names it, and pods reach it there, where the
# network fence lets them (the workbench; ordinary learner pods time out). The
# nft table below drops anything for the node's address that does not come from
# the bridge or the host itself, so the VM's other interfaces cannot reach it
# either (Linux would otherwise accept a packet for any local address on any
# interface). PODLAB_API_SERVER_FROM_PODS (lab/env) is this URL.
APISERVER_BIND_ADDR="$LAB_ADDR"
API_SERVER_FROM_PODS_FILE="$STATE/api-server-from-pods"
NODE_GUARD_TABLE=podlab_real_node
# The API server verifies the kubelet's serving certificate (signed by the lab
# CA) and reaches it by InternalIP only: a Hostname address would mean a DNS lookup.
APISERVER_EXTRA_ARGS=(--kubelet-preferred-address-types=InternalIP --kubelet-certificate-authority="$PKI/ca.crt")
FINGERPRINT_EXTRA=" mode=real if=$LAB_IF kubelet=$KUBELET_PORT api-bind=$APISERVER_BIND_ADDR"
# Every pod's processes and threads together, at most (the pod's pids cgroup):
# the lesson's pods use at most 30 (measured, docs/lab.md, "The node, hardened"),
# and a fork bomb in a learner's pod stops here instead of exhausting the
# machine's PID space, which the control plane shares (pid_max is 32768 here).
POD_PIDS_LIMIT=256
PKI_EXTRA_CERTS="kubelet kubelet-server"
PKI_EXTRA_KUBECONFIGS="kubelet"

# What the kubelet changes in the kernel at start (protectKernelDefaults=false),
# and the bridge netfilter switch the lab turns on for NetworkPolicy
# (networkpolicy.sh); the values from before the first start are put back by `down`.
NODE_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes $BRIDGE_NF_SYSCTL"

# ---------------------------------------------------------------- build + deps

node_ensure_deps() {
  local missing=()
  [ -x "$CONTAINERD" ] || missing+=(containerd)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ipset >/dev/null || missing+=(ipset)
  command -v nft >/dev/null || missing+=(nftables)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v umoci >/dev/null || missing+=(umoci)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
}

node_build() {
  wrapper_built "$CRICTL" "$CRICTL_MOD" ||
    wrapper_build "$CRICTL" "$CRICTL_MOD" sigs.k8s.io/cri-tools/cmd/crictl \
      "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"
  kube_router_built || kube_router_build
  # Builds only what is missing or whose recipe changed (minutes the first time).
  bash "$REPO_LAB/images/build.sh" all || die "building the lab images failed (lab/images/build.sh)"
}

# ---------------------------------------------------------------- helpers

ctr_() { ctr --address "$CTR_SOCK" --namespace k8s.io "$@"; }
crictl_() { "$CRICTL" --config "$NODE_STATE/crictl.yaml" "$@"; }

render() { # template output
  sed -e "s|@STATE@|$STATE|g" -e "s|@PKI@|$PKI|g" -e "s|@SANDBOX_IMAGE@|$(image_ref pause)|g" \
    -e "s|@CNI_NET@|$CNI_NET|g" -e "s|@BRIDGE@|$LAB_IF|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
    -e "s|@RANGE_START@|$POD_RANGE_START|g" -e "s|@RANGE_END@|$POD_RANGE_END|g" -e "s|@GATEWAY@|$LAB_ADDR|g" \
    -e "s|@NODE_IP@|$LAB_ADDR|g" -e "s|@KUBELET_PORT@|$KUBELET_PORT|g" \
    -e "s|@KUBELET_HEALTHZ_PORT@|$KUBELET_HEALTHZ_PORT|g" -e "s|@CGROUP_ROOT@|$CGROUP_ROOT|g" \
    -e "s|@CLUSTER_DNS@|$CLUSTER_DNS|g" -e "s|@POD_PIDS_LIMIT@|$POD_PIDS_LIMIT|g" \
    -e "s|@TLS_CIPHER_SUITES@|[${TLS_CIPHER_SUITES//,/, }]|g" "$1" >"$2.tmp"
  if grep -q '@[A-Z_]*@' "$2.tmp"; then die "unrendered placeholder in $2: $(grep -o '@[A-Z_]*@' "$2.tmp" | head -1)"; fi
  mv -f "$2.tmp" "$2"
}

node_render() {
  mkdir -p "$NODE_STATE/cni/net.d" "$NODE_STATE/cni/ipam" "$NODE_STATE/registry.d" "$NODE_STATE/pod-logs" \
    "$STATE/containerd" "$STATE/kubelet"
  render "$NODE_SRC/containerd.toml.in" "$NODE_STATE/containerd.toml"
  render "$NODE_SRC/cni.conflist.in" "$NODE_STATE/cni/net.d/10-$CNI_NET.conflist"
  render "$NODE_SRC/kubelet-config.yaml.in" "$NODE_STATE/kubelet-config.yaml"
  chmod 600 "$NODE_STATE/containerd.toml" "$NODE_STATE/cni/net.d/10-$CNI_NET.conflist" "$NODE_STATE/kubelet-config.yaml"
  printf '# podlab real node: pods get no nameserver from the host\noptions ndots:1\n' >"$NODE_STATE/resolv.conf"
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$CTR_SOCK" "$CTR_SOCK" >"$NODE_STATE/crictl.yaml"
}

node_pki_create() {
  sign_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" client
  sign_cert kubelet-server "/O=system:nodes/CN=system:node:$NODE_NAME" server "DNS:$NODE_NAME,IP:$LAB_ADDR"
  chmod 600 "$PKI"/*.key
  kubeconfig kubelet kubelet
}

# The v1 hierarchies the cgroupfs driver uses; the kubelet needs its cgroupRoot to exist.
cgroup_dirs() {
  # mountinfo: the filesystem type follows the "-" separator (optional fields vary)
  awk -v r="$CGROUP_ROOT" '{for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup") print $5 "/" r; break }}' /proc/self/mountinfo
}

cgroup_root_create() {
  local d
  for d in $(cgroup_dirs); do
    [ -d "$d" ] && continue
    mkdir "$d"
    case "$d" in
      */cpuset/*) cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"; cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems" ;;
    esac
  done
}

cgroup_root_remove() {
  local d left=""
  for d in $(cgroup_dirs) "/sys/fs/cgroup/unified/$CGROUP_ROOT"; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$d" ] && left="$left $d"
  done
  [ -z "$left" ] || log "cgroups still in use (not removed):$left"
}

# Records each of NODE_SYSCTLS once (until `down` restores it), before the lab changes it.
sysctl_snapshot() {
  local k v
  touch "$NODE_STATE/sysctl.before"
  for k in $NODE_SYSCTLS; do
    grep -q "^${k//./\\.} " "$NODE_STATE/sysctl.before" && continue
    v="$(sysctl -n "$k")" || die "cannot read sysctl $k"
    echo "$k $v" >>"$NODE_STATE/sysctl.before"
  done
}

sysctl_restore() {
  [ -s "$NODE_STATE/sysctl.before" ] || return 0
  local k v changed=""
  while read -r k v; do
    [ "$(sysctl -n "$k")" = "$v" ] && continue
    sysctl -qw "$k=$v" && changed="$changed $k=$v"
  done <"$NODE_STATE/sysctl.before"
  rm -f "$NODE_STATE/sysctl.before"
  [ -z "$changed" ] || log "restored sysctls the lab had changed:$changed"
}

# Processes of our containerd that outlive it: runc shims (their -address is our socket).
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $CTR_SOCK "; then echo "${p#/proc/}"; fi
  done
}

# ---------------------------------------------------------------- the node's address

# Called by net_up, before the API server listens on the bridge address: only the
# bridge (pods, where the network fence lets them) and the host itself reach it.
node_net_up() {
  nft list table ip "$NODE_GUARD_TABLE" >/dev/null 2>&1 && return 0
  nft -f - <<NFT || die "cannot add the nft table that keeps $LAB_ADDR off every interface but $LAB_IF"
table ip $NODE_GUARD_TABLE {
  comment "podlab: the lab node's address ($LAB_ADDR: API server, kubelet) only from $LAB_IF and the host"
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    ip daddr $LAB_ADDR iifname != { "lo", "$LAB_IF" } counter drop
  }
}
NFT
}

# Called by net_down.
node_net_down() {
  nft delete table ip "$NODE_GUARD_TABLE" 2>/dev/null && log "removed nft table $NODE_GUARD_TABLE" || true
  rm -f "$API_SERVER_FROM_PODS_FILE"
}

# ---------------------------------------------------------------- containerd

containerd_ready() { ctr --address "$CTR_SOCK" version >/dev/null 2>&1; }

start_containerd() {
  [ -S "$CTR_SOCK" ] && rm -f "$CTR_SOCK" "$CTR_SOCK.ttrpc"
  # The proxy variables point any registry request at a closed local port, so a
  # missing image fails here instead of a DNS lookup or a connection leaving the machine.
  start_proc containerd HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    -- "$CONTAINERD" --config "$NODE_STATE/containerd.toml"
}

# Imports each image archive unless containerd already has that exact manifest,
# and names it by digest too (<repo>@sha256:...), as a registry pull would: a
# pod can then pin its image by digest, and the kubelet finds it locally.
load_images() {
  local n ref archive want have t
  for n in $IMAGE_NAMES; do
    ref="$(image_ref "$n")"
    archive="$(image_archive "$n")"
    [ -s "$archive" ] || die "image archive $archive missing: bash lab/images/build.sh $n"
    want="$(tar -xOf "$archive" index.json | grep -o '"digest":"sha256:[0-9a-f]*"' | sed -n '1s/.*"\(sha256:[0-9a-f]*\)"/\1/p')"
    have="$(ctr_ images ls "name==$ref" 2>/dev/null | awk 'NR>1 {print $3}')"
    if [ "$have" != "$want" ]; then
      t=$(now)
      ctr_ images import --base-name "$PODLAB_IMAGE_PREFIX/$n" "$archive" >/dev/null ||
        die "ctr images import $archive failed"
      have="$(ctr_ images ls "name==$ref" | awk 'NR>1 {print $3}')"
      [ "$have" = "$want" ] || die "after import, $ref is '$have', expected $want"
      log "loaded $ref (${want:7:12}) into containerd in $(elapsed "$t")"
    fi
    if [ -z "$(ctr_ images ls -q "name==$PODLAB_IMAGE_PREFIX/$n@$want" 2>/dev/null)" ]; then
      ctr_ images tag "$ref" "$PODLAB_IMAGE_PREFIX/$n@$want" >/dev/null || die "naming $ref by its digest failed"
    fi
  done
}

# host-local keeps a lease file per IP; a lease whose sandbox is gone (a crash,
# a reboot) would never be freed. Run only while the kubelet is stopped.
release_stale_leases() {
  local dir="$NODE_STATE/cni/ipam/$CNI_NET" f id sandboxes
  [ -d "$dir" ] || return 0
  sandboxes="$(crictl_ pods -q --no-trunc 2>/dev/null)" || return 0
  for f in "$dir"/*; do
    case "$(basename "$f")" in *.*.*.*) ;; *) continue ;; esac
    id="$(head -n1 "$f" | tr -d '\r')"
    if ! grep -qxF -- "$id" <<<"$sandboxes"; then
      rm -f "$f"
      log "released stale pod IP lease $(basename "$f") (sandbox ${id:0:12} is gone)"
    fi
  done
}

# ---------------------------------------------------------------- kubelet

kubelet_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz" | grep -qx ok; }

start_kubelet() {
  check_port_free kubelet "$KUBELET_PORT"
  check_port_free kubelet-healthz "$KUBELET_HEALTHZ_PORT"
  start_proc kubelet -- "$K8S_BIN/kubelet" \
    --config="$NODE_STATE/kubelet-config.yaml" --kubeconfig="$KCFG/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE_NAME" --node-ip="$LAB_ADDR" \
    --node-labels=podlab.local/node=real --v=1
}

node_registered_real() {
  kc get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}' | grep -q '^containerd://'
}

# ---------------------------------------------------------------- up / down

# Called by lab_up once the control plane is healthy (instead of starting kwok).
real_node_up() {
  local t
  t=$(now)
  bridge_netfilter_check
  cgroup_root_create
  node_render
  if running containerd; then
    log "containerd already running (pid $(pid_of containerd))"
  else
    start_containerd
    started="${started:-} containerd"
  fi
  wait_proc containerd "containerd socket" 60 containerd_ready || { dump_logs; die "containerd did not start"; }
  log "containerd ready ($(elapsed "$t"))"
  t=$(now)
  load_images
  log "images present in containerd ($(elapsed "$t"))"

  t=$(now)
  if running kubelet; then
    log "kubelet already running (pid $(pid_of kubelet))"
  else
    release_stale_leases
    sysctl_snapshot
    start_kubelet
    started="${started:-} kubelet"
  fi
  wait_proc kubelet "kubelet healthz" 90 kubelet_healthy || { dump_logs; die "kubelet not healthy"; }
  wait_for "node $NODE_NAME registered by a kubelet on containerd" 90 node_registered_real || { dump_logs; die "node $NODE_NAME not registered"; }
  wait_node_ready 120 "$t"
  networkpolicy_up # needs the Node object: kube-router enforces policy for this node's pods
  echo "https://$APISERVER_BIND_ADDR:$API_PORT" >"$API_SERVER_FROM_PODS_FILE"
}

# Called by stop_all before the control plane stops: kube-router and its rules
# first, then the kubelet (so it recreates nothing), then every pod's containers
# (gracefully, then their sandboxes and network), then containerd; then what
# they leave behind.
real_node_stop() {
  networkpolicy_stop
  stop_proc kubelet
  if running containerd && [ -x "$CRICTL" ]; then
    local ids
    ids="$(crictl_ ps -q 2>/dev/null || true)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || crictl_ stop --timeout 10 $ids >/dev/null 2>&1 || true
    ids="$(crictl_ pods -q 2>/dev/null || true)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      crictl_ stopp $ids >/dev/null 2>&1 || true
      # shellcheck disable=SC2086
      crictl_ rmp --force $ids >/dev/null 2>&1 || true
      log "removed $(wc -w <<<"$ids") pod sandbox(es) and their containers"
    fi
  fi
  stop_proc containerd
  local p
  for p in $(our_shims); do
    log "containerd shim pid $p outlived containerd; stopping it"
    kill -TERM "$p" 2>/dev/null || true
  done
  node_cleanup
}

node_cleanup() {
  local m
  # Mounts left under the state dir (volumes, sandbox /dev/shm, overlay rootfs), deepest first.
  # shellcheck disable=SC2013 # mountinfo escapes blanks in paths (\040): one word per mount point
  for m in $(awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "cannot unmount $m"
  done
  cgroup_root_remove
  # What the kubelet, containerd and libcni keep at fixed paths outside the state dir:
  # container log symlinks into our pod-logs, the device-plugin socket, CNI result
  # caches, netns pins and shim socket dirs (the last ones are gone with the pods).
  local f
  for f in /var/log/containers/*.log; do
    if [ -L "$f" ]; then case "$(readlink "$f")" in "$NODE_STATE/pod-logs/"*) rm -f "$f" ;; esac; fi
  done
  rm -f /var/lib/cni/results/"$CNI_NET"-* /var/lib/kubelet/device-plugins/kubelet.sock 2>/dev/null || true
  # only if empty (another user of these paths keeps them)
  rmdir /var/log/containers /var/lib/kubelet/device-plugins /var/lib/kubelet /var/lib/cni/results /var/lib/cni \
    /var/run/netns /run/containerd/s /run/containerd/fifo /run/containerd/runc/k8s.io /run/containerd/runc \
    /run/containerd 2>/dev/null || true
  sysctl_restore
}

# ---------------------------------------------------------------- commands

lab_crictl() { exec "$CRICTL" --config "$NODE_STATE/crictl.yaml" "$@"; }
lab_ctr() { exec ctr --address "$CTR_SOCK" --namespace k8s.io "$@"; }

# Stops the enforcer and removes its rules (every pod open to every other), or starts it again.
lab_networkpolicy() {
  lab_lock
  case "${1:-}" in
    stop)
      networkpolicy_stop
      log "NetworkPolicy is no longer enforced on $NODE_NAME (kube-router stopped, its rules removed)"
      ;;
    start) networkpolicy_up ;;
    *) echo "usage: lab/cluster.sh networkpolicy stop|start" >&2; exit 2 ;;
  esac
}
