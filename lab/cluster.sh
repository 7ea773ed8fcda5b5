#!/usr/bin/env bash
# podlab local Kubernetes lab: etcd (Debian) + kube-apiserver/controller-manager/
# scheduler built from Go modules, and one node: by default a kubelet on Debian's
# containerd running real containers (lab/node/NOTES.md), or a KWOK fake node as
# the fallback. The API listens on 127.0.0.1 (KWOK) or the real node's bridge
# address; pods reach only their own bridge, and services and every other lab
# range are blackholed. See lab/cluster/NOTES.md.
#
#   bash lab/cluster.sh build            build binaries (idempotent)
#   bash lab/cluster.sh up               build if needed, start (idempotent, recovers stale state)
#   bash lab/cluster.sh status           what runs; exit 1 if not up
#   bash lab/cluster.sh down [--purge]   stop everything started, undo network changes
#   bash lab/cluster.sh kubectl ARGS...  the built kubectl with the lab kubeconfig
#   bash lab/cluster.sh env              print KUBECONFIG/PATH exports
#   bash lab/cluster.sh crictl|ctr ARGS  the real node's containerd (k8s.io namespace)
#   bash lab/cluster.sh networkpolicy stop|start
#                                        the real node's NetworkPolicy enforcer (kube-router) off and
#                                        on again: a cluster that ignores NetworkPolicy, for tests
#   PODLAB_NODE=kwok bash lab/cluster.sh up|down|status|...
#                                        the fallback: a KWOK fake node (no containers) in its
#                                        own lab beside the default real node (lab/node/NOTES.md)
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=cluster/lib.sh
source "$LAB_DIR/cluster/lib.sh"

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    build) lab_build "$@" ;;
    up) lab_up "$@" ;;
    down) lab_down "$@" ;;
    status) lab_status "$@" ;;
    kubectl) lab_kubectl "$@" ;;
    env) lab_env ;;
    crictl | ctr)
      [ "$PODLAB_NODE" = real ] || { echo "$cmd: only on the real node, not with PODLAB_NODE=kwok (the KWOK node has no runtime)" >&2; exit 2; }
      "lab_$cmd" "$@"
      ;;
    networkpolicy)
      [ "$PODLAB_NODE" = real ] || { echo "$cmd: only on the real node (the KWOK lab moves no packets)" >&2; exit 2; }
      lab_networkpolicy "$@"
      ;;
    *)
      sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}
# main is defined before it runs, so editing this file while it runs is safe.
main "$@"
exit $?
