# shellcheck shell=bash disable=SC2034 # sets settings lab/node/lib.sh uses
# NetworkPolicy on the lab's real node (sourced by lab/node/lib.sh): kube-router's
# network policy controller alone, built from its Go module (lab/node/kube-router).
# It watches pods, namespaces and NetworkPolicies through the API server and
# enforces them for this node's pods with iptables (filter table) and ipsets.
# Pod-to-pod traffic is bridged (podlab1), so it reaches iptables only through
# bridge netfilter, which the lab turns on. kube-router runs without its router
# (no BGP, no routes), service proxy and load balancer parts, and with its health,
# metrics and pprof servers off: it opens no port. See docs/lab.md, "NetworkPolicy: kube-router".

KUBE_ROUTER_VERSION=v2.1.0
KUBE_ROUTER_MOD="$NODE_SRC/kube-router"
KUBE_ROUTER="$CACHE/kube-router/$KUBE_ROUTER_VERSION/bin/kube-router"
# The user its client certificate names; kube-router-rbac.yaml lets it read what it watches.
KUBE_ROUTER_USER=podlab:kube-router
# Everything kube-router's policy controller creates is named with these prefixes
# (upstream pkg/controllers/netpol; the suffixes are base32): `down` removes exactly these.
KUBE_ROUTER_CHAINS='KUBE-ROUTER-(INPUT|FORWARD|OUTPUT)|KUBE-NWPLCY-[A-Z0-9]+|KUBE-POD-FW-[A-Z0-9]+'
KUBE_ROUTER_IPSETS='KUBE-(SRC|DST)-[A-Z0-9]+'
# With the nf_tables backend of iptables (Debian's default) a table exists
# only once something adds to it; when the lab is the first (kube-router for
# filter, the rule below for raw), a file iptables-<table>-table.ours says so,
# and `down` deletes the (then empty) table too.
# kube-router answers a connection its policy blocks with REJECT (ICMP port
# unreachable, hard-coded in v2.1.0): the client is refused at once, as if
# nothing listened. Calico and Cilium drop instead, so on the clusters learners
# meet a blocked connection times out; the lab drops the host's port-unreachable
# messages to its pods to behave the same. Nothing else on the lab sends those
# to a pod (the host runs no UDP service for pods). The rule lives in the raw
# table, which kube-router never rewrites (it rewrites filter on every sync).
# `down` removes it.
# (Built when used: this file is sourced before lib.sh sets LAB_IF to the real node's bridge.)
reject_as_drop_rule() { REJECT_AS_DROP_RULE=(OUTPUT -o "$LAB_IF" -p icmp --icmp-type port-unreachable -m comment --comment "podlab: NetworkPolicy rejections time out, as with Calico or Cilium" -j DROP); }
# Bridged IPv4 traffic goes through iptables only while this is 1 (lib.sh's
# NODE_SYSCTLS records the value from before, and `down` puts it back).
BRIDGE_NF_SYSCTL=net.bridge.bridge-nf-call-iptables

kube_router_built() { wrapper_built "$KUBE_ROUTER" "$KUBE_ROUTER_MOD"; }

kube_router_build() {
  local v=github.com/cloudnativelabs/kube-router/v2/pkg/version
  wrapper_build "$KUBE_ROUTER" "$KUBE_ROUTER_MOD" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router \
    "-s -w -X $v.Version=$KUBE_ROUTER_VERSION -X $v.BuildDate=1970-01-01T00:00:00Z"
}

# Bridge netfilter is a module on some kernels (built in on this VM); without it
# no policy could see pod-to-pod traffic, so the real node does not start.
bridge_netfilter_check() {
  local f="/proc/sys/${BRIDGE_NF_SYSCTL//.//}"
  [ -e "$f" ] || modprobe br_netfilter 2>/dev/null || true
  [ -e "$f" ] || die "bridge netfilter ($BRIDGE_NF_SYSCTL) is missing from this kernel: NetworkPolicy could not see pod-to-pod traffic"
}

# kube-router's own client certificate (signed by the lab CA, made on first use so
# an existing lab keeps its PKI) and its read-only ClusterRole.
kube_router_identity() {
  if ! cert_ok kube-router || [ ! -s "$KCFG/kube-router.kubeconfig" ]; then
    sign_cert kube-router "/CN=$KUBE_ROUTER_USER" client
    kubeconfig kube-router kube-router
  fi
  kc apply -f "$NODE_SRC/kube-router-rbac.yaml" >/dev/null || die "cannot apply $NODE_SRC/kube-router-rbac.yaml"
}

start_kube_router() {
  start_proc kube-router -- "$KUBE_ROUTER" --kubeconfig="$KCFG/kube-router.kubeconfig" \
    --hostname-override="$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false \
    --enable-ipv4=true --enable-ipv6=false --service-cluster-ip-range="$SERVICE_CIDR" \
    --health-port=0 --metrics-port=0 --enable-pprof=false --v=1
}

# A full sync ends by appending the explicit-ACCEPT rule to kube-router's top chains.
kube_router_synced() { iptables -w 5 -S KUBE-ROUTER-FORWARD 2>/dev/null | grep -qF 'rule to explicitly ACCEPT'; }

# Called by real_node_up once the node is registered (kube-router reads its Node
# object for the node's address, and enforces policy for the pods on it).
networkpolicy_up() {
  local t
  t=$(now)
  sysctl_snapshot
  [ "$(sysctl -n "$BRIDGE_NF_SYSCTL")" = 1 ] || sysctl -qw "$BRIDGE_NF_SYSCTL=1"
  kube_router_identity
  if running kube-router; then
    log "kube-router already running (pid $(pid_of kube-router))"
  else
    networkpolicy_cleanup # what a killed kube-router left: the new one syncs from a clean slate
    note_table_ours filter
    start_kube_router
    started="${started:-} kube-router"
  fi
  reject_as_drop_rule
  if ! iptables -w 5 -t raw -C "${REJECT_AS_DROP_RULE[@]}" 2>/dev/null; then
    note_table_ours raw
    iptables -w 5 -t raw -I "${REJECT_AS_DROP_RULE[@]}" ||
      die "cannot add the iptables rule that drops the host's port-unreachable messages to pods"
  fi
  wait_proc kube-router "kube-router's first NetworkPolicy sync" 60 kube_router_synced ||
    { dump_logs; die "kube-router did not sync NetworkPolicies"; }
  log "NetworkPolicy enforced by kube-router ($(elapsed "$t"))"
}

networkpolicy_stop() {
  stop_proc kube-router
  networkpolicy_cleanup
}

# Records that the lab is about to create an (nf_tables) iptables table.
note_table_ours() { # table
  if iptables -V | grep -qF nf_tables && ! nft list table ip "$1" >/dev/null 2>&1; then
    touch "$NODE_STATE/iptables-$1-table.ours"
  fi
}

# Deletes a table the lab created, if nothing else has put a rule, a chain or a policy into it meanwhile.
drop_table_if_ours() { # table
  [ -f "$NODE_STATE/iptables-$1-table.ours" ] || return 0
  if ! iptables-save -t "$1" | grep -vqE "^(#|\*$1\$|COMMIT\$|:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) ACCEPT )"; then
    nft delete table ip "$1" 2>/dev/null && log "removed the iptables $1 table the lab had created"
  fi
  rm -f "$NODE_STATE/iptables-$1-table.ours"
}

# Removes kube-router's jumps from INPUT/FORWARD/OUTPUT, its chains and its ipsets
# (kube-router leaves them all in place when it stops), and nothing else. A
# failure is logged, not fatal: `down` goes on stopping the rest of the lab.
networkpolicy_cleanup() {
  command -v iptables-save >/dev/null || return 0
  local table jumps chains sets c s
  reject_as_drop_rule
  while iptables -w 5 -t raw -C "${REJECT_AS_DROP_RULE[@]}" 2>/dev/null; do iptables -w 5 -t raw -D "${REJECT_AS_DROP_RULE[@]}" || break; done
  drop_table_if_ours raw
  table="$(iptables-save -t filter 2>/dev/null)" || return 0
  jumps="$(grep -E -- "^-A (INPUT|FORWARD|OUTPUT) .*-j ($KUBE_ROUTER_CHAINS)\$" <<<"$table" || true)"
  chains="$(sed -nE "s/^:($KUBE_ROUTER_CHAINS) .*/\1/p" <<<"$table")"
  if [ -n "$jumps$chains" ]; then
    {
      echo '*filter'
      [ -z "$jumps" ] || sed 's/^-A /-D /' <<<"$jumps"
      for c in $chains; do echo "-F $c"; done
      for c in $chains; do echo "-X $c"; done
      echo COMMIT
    } | iptables-restore -w 5 --noflush || log "WARNING: cannot remove kube-router's iptables chains: $(tr '\n' ' ' <<<"$chains")"
  fi
  sets="$(ipset list -n 2>/dev/null | grep -E "^($KUBE_ROUTER_IPSETS)\$" || true)"
  for s in $sets; do ipset destroy "$s" || log "WARNING: cannot destroy kube-router's ipset $s"; done
  drop_table_if_ours filter
  [ -z "$jumps$chains$sets" ] ||
    log "removed kube-router's $(grep -c . <<<"$jumps") jumps, $(grep -c . <<<"$chains") iptables chains and $(grep -c . <<<"$sets") ipsets"
}
