#!/usr/bin/env bash
# One command from a fresh checkout to a deployed stack: fetches podlab's Node.js
# (lab/lib/versions.sh) and runs every step on it, installs npm packages,
# builds the toolchain and the lab cluster if missing, starts the lab (its real
# node by default; PODLAB_NODE=kwok for the fallback), and runs `pulumi up`
# through the Automation API. The default stack is "lab" (Pulumi.lab.yaml: the
# images the lab builds). With PODLAB_KUBECONFIG set, deploys to that cluster
# instead, with your own Pulumi CLI, backend and secrets provider and nothing of
# the lab built, and the default stack is "dev" (Pulumi.dev.yaml: public
# images; docs/own-cluster.md).
#   bash cli/deploy.sh [STACK]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stack_args=()
[ -z "${1:-}" ] || stack_args=(--stack "$1")
if [ -n "${PODLAB_KUBECONFIG:-}" ]; then
  exec npm run --silent stack -- up "${stack_args[@]}"
fi

# shellcheck source=../lab/lib/versions.sh
source lab/lib/versions.sh
podlab_use_nodejs
podlab_install_packages
bash lab/build.sh   # the toolchain and the lab's parts, side by side
bash lab/cluster.sh up
npm run --silent build
exec lab/with-env node bin/cli/stack.js up "${stack_args[@]}"
