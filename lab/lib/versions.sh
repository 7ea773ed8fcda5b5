# shellcheck shell=bash disable=SC2034
# Sourced by lab/toolchain.sh and lab/env: the one place that works out which
# Pulumi CLI / provider versions the lab toolchain is for, and where it lives.
#
# Versions come from the repo's package-lock.json (what `npm ci` installs),
# never from node_modules. PODLAB_LOCK may point at another lock file.
#
# Sets: PODLAB_ROOT PODLAB_LOCK PODLAB_CACHE PODLAB_STATE
#       PODLAB_PULUMI_VERSION PODLAB_KUBERNETES_VERSION PODLAB_RANDOM_VERSION
#       PODLAB_TOOLCHAIN_DIR PODLAB_TOOLCHAIN_BIN PODLAB_PULUMI_HOME

PODLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PODLAB_LOCK="${PODLAB_LOCK:-$PODLAB_ROOT/package-lock.json}"
PODLAB_CACHE="${PODLAB_CACHE:-$HOME/.cache/podlab}"
PODLAB_STATE="${PODLAB_STATE:-$HOME/.local/state/podlab}"

podlab_read_lock_versions() {
  if [[ ! -f "$PODLAB_LOCK" ]]; then
    echo "podlab: $PODLAB_LOCK not found (run from a checkout with package-lock.json)" >&2
    return 1
  fi
  local out
  # Prints "pulumi kubernetes random"; '-' for a package the lock lacks.
  out="$(node -e '
    const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).packages || {};
    const v = (n) => (p["node_modules/@pulumi/" + n] || {}).version || "-";
    console.log(v("pulumi"), v("kubernetes"), v("random"));
  ' "$PODLAB_LOCK")" || { echo "podlab: cannot parse $PODLAB_LOCK" >&2; return 1; }
  read -r PODLAB_PULUMI_VERSION PODLAB_KUBERNETES_VERSION PODLAB_RANDOM_VERSION <<<"$out"
  if [[ "$PODLAB_PULUMI_VERSION" == - || "$PODLAB_KUBERNETES_VERSION" == - ]]; then
    echo "podlab: $PODLAB_LOCK must pin @pulumi/pulumi and @pulumi/kubernetes" \
      "(found pulumi=$PODLAB_PULUMI_VERSION kubernetes=$PODLAB_KUBERNETES_VERSION)" >&2
    return 1
  fi
  [[ "$PODLAB_RANDOM_VERSION" == - ]] && PODLAB_RANDOM_VERSION=""
  PODLAB_TOOLCHAIN_DIR="$PODLAB_CACHE/toolchain/pulumi-${PODLAB_PULUMI_VERSION}_kubernetes-${PODLAB_KUBERNETES_VERSION}"
  PODLAB_TOOLCHAIN_BIN="$PODLAB_TOOLCHAIN_DIR/bin"
  PODLAB_PULUMI_HOME="$PODLAB_TOOLCHAIN_DIR/pulumi-home"
}
