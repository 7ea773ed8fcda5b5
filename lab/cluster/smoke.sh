#!/usr/bin/env bash
# shellcheck disable=SC2015  # ok/bad always succeed
# Smoke test of a running KWOK fallback lab (PODLAB_NODE=kwok bash lab/cluster.sh up
# first): node listed, restricted namespace, compliant pod Running+Ready with a
# pod IP, privileged pod rejected by Pod Security, namespace deletion completes.
# The real node's checks are tests/e2e/realnode.e2e.ts.
set -euo pipefail
export PODLAB_NODE=kwok
LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
k() { bash "$LAB/cluster.sh" kubectl "$@"; }
NS="podlab-smoke-$$"
pass=0 fail=0
ok() { echo "ok   - $*"; pass=$((pass + 1)); }
bad() { echo "FAIL - $*"; fail=$((fail + 1)); }
trap 'k delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true' EXIT

bash "$LAB/cluster.sh" status >/dev/null || { echo "lab is not up"; exit 1; }
k version -o json | grep -q '"gitVersion": "v1.32.13"' && ok "server and client report v1.32.13" || bad "version"
k get nodes -o wide
nodes="$(k get nodes -l type=kwok -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}')"
want="${PODLAB_KWOK_NODES:-10}"
[ "$(wc -w <<<"$nodes")" = "$want" ] && ! grep -q '=[^T]' <<<"$nodes" &&
  ok "$want KWOK nodes Ready" || bad "KWOK nodes (want $want Ready): $nodes"

k create namespace "$NS" >/dev/null
k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null && ok "namespace $NS restricted"

t0=$(date +%s.%N)
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 101
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: nginx
    image: nginx:1.27
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
YAML
if k -n "$NS" wait pod/web --for=condition=Ready --timeout=60s >/dev/null; then
  ip="$(k -n "$NS" get pod web -o jsonpath='{.status.phase} {.status.podIP} {.spec.nodeName}')"
  echo "     pod web: $ip (Ready after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'))"
  [[ "$ip" =~ ^Running\ 10\.244\.[0-3]\.[0-9]+\ podlab-kwok-[0-9]+$ ]] && ok "restricted pod Running+Ready on a KWOK node with an IP in 10.244.0.0/22" ||
    bad "pod status: $ip"
else
  bad "pod web not Ready"
  k -n "$NS" describe pod web | tail -20
fi

out="$(k -n "$NS" run priv --image=nginx:1.27 --restart=Never \
  --overrides='{"spec":{"containers":[{"name":"priv","image":"nginx:1.27","securityContext":{"privileged":true}}]}}' 2>&1 || true)"
grep -q 'violates PodSecurity "restricted' <<<"$out" && ok "privileged pod rejected by Pod Security" || bad "privileged pod: $out"

t0=$(date +%s.%N)
if k delete namespace "$NS" --timeout=90s >/dev/null; then
  ok "namespace deletion completed in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}')"
else
  bad "namespace deletion"
fi
trap - EXIT
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
