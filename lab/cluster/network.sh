# shellcheck shell=bash
# The lab's addresses, bridge and blackhole routes, each recorded in $STATE/net.added so `down` removes only what `up` added.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

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
