#!/usr/bin/env bash
# Builds what the lab needs, side by side: the toolchain (lab/toolchain.sh: Pulumi CLI, its Node.js
# language host, the Kubernetes provider) and the cluster's parts (lab/cluster.sh build: Kubernetes,
# kwok, the real node's parts and images). Both are idempotent and take seconds when built; on a cold
# machine they mostly wait on the network or on each other's core, so side by side takes about as long
# as the longer (the toolchain) instead of their sum (measured: docs/development.md, "How long things take").
#   bash lab/build.sh [--toolchain-only]
# Output lines are prefixed [toolchain] and [lab]; the exit status is non-zero if either failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pids=()
names=()
started() { pids+=("$!"); names+=("$1"); }
bash lab/toolchain.sh > >(sed -u 's/^/[toolchain] /') 2>&1 & started "the toolchain (lab/toolchain.sh)"
if [ "${1:-}" != --toolchain-only ]; then
  bash lab/cluster.sh build > >(sed -u 's/^/[lab] /') 2>&1 & started "the lab's build (lab/cluster.sh build)"
fi
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "build: ${names[$i]} failed (its lines above)" >&2
    failed=1
  fi
done
exit "$failed"
