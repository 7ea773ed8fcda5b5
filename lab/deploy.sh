#!/usr/bin/env bash
# One command from a fresh checkout to a deployed stack (default: dev):
# installs npm packages, builds the toolchain and the lab cluster if missing,
# starts the lab, and runs `pulumi up` through the Automation API.
# With PODLAB_KUBECONFIG set, deploys to that cluster instead of the lab.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stack="${1:-dev}"

[ -d node_modules ] || npm ci --no-audit --no-fund
bash lab/toolchain.sh
if [ -z "${PODLAB_KUBECONFIG:-}" ]; then
  bash lab/cluster.sh up
fi
npm run --silent build
exec lab/with-env node bin/lab/stack.js up --stack "$stack"
