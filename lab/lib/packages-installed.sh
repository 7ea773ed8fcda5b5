#!/usr/bin/env bash
# npm's postinstall: records that node_modules and policy/node_modules were installed from their
# package-lock.json as it is now, so lab/with-node does not install them again (podlab_install_packages).
set -euo pipefail
# shellcheck source=versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
podlab_mark_packages_installed
