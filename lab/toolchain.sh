#!/usr/bin/env bash
# Builds the lab's Pulumi toolchain from Go modules (no prebuilt downloads):
#   bin/pulumi                                          github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   libexec/pulumi-resource-kubernetes                  pulumi-kubernetes provider
#   libexec/policy-nodejs/pulumi-analyzer-policy-nodejs shim: runs a nodejs policy pack without
#                                                       the nodejs language host
# into ${PODLAB_CACHE:-~/.cache/podlab}/toolchain/pulumi-<v>_kubernetes-<v>/, then installs the
# provider and the shim into that directory's PULUMI_HOME plugin cache (resource kubernetes
# <k8s version>, analyzer policy-nodejs <pulumi version>). Versions come from package-lock.json.
# Only bin/ goes on PATH (lab/env): the engine prefers a plugin found on PATH over the plugin
# cache whatever version the SDK asks for (hiding a version mismatch) and warns on every run;
# from the plugin cache the provider is matched by version like a released plugin.
# Re-running with everything in place exits in seconds without network access.
# See lab/toolchain/NOTES.md and lab/toolchain/BLOCKED.md.
set -euo pipefail

# shellcheck source=lib/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/versions.sh"
podlab_read_lock_versions

TC="$PODLAB_ROOT/lab/toolchain"
BIN="$PODLAB_TOOLCHAIN_BIN"
LIBEXEC="$PODLAB_TOOLCHAIN_DIR/libexec"
PULUMI="$BIN/pulumi"
PROVIDER="$LIBEXEC/pulumi-resource-kubernetes"
SHIM="$LIBEXEC/policy-nodejs/pulumi-analyzer-policy-nodejs"
P_VER="$PODLAB_PULUMI_VERSION"
K_VER="$PODLAB_KUBERNETES_VERSION"
PULUMI_VERSION_PKG=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
K8S_PROVIDER_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_VERSION_PKG=$K8S_PROVIDER_MOD/pkg/version.Version

export CGO_ENABLED=0 GOTOOLCHAIN=local
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

log() { echo "toolchain: $*" >&2; }
die() { echo "toolchain: ERROR: $*" >&2; exit 1; }

# Version of a module required by a go.mod, read locally (no network).
gomod_require() { # <module dir> <module path>
  (cd "$1" && go mod edit -json) | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const r = (m.Require || []).find((r) => r.Path === process.argv[1]);
    console.log(r ? r.Version : "");' "$2"
}

# ---- 1. the versions built must be the versions the lock pins ---------------------------------
go_pulumi="$(gomod_require "$TC/pulumi" github.com/pulumi/pulumi/pkg/v3)"
[[ "${go_pulumi#v}" == "$P_VER" ]] || die "lab/toolchain/pulumi/go.mod builds github.com/pulumi/pulumi/pkg/v3 ${go_pulumi:-<none>}," \
  "but $PODLAB_LOCK pins @pulumi/pulumi $P_VER. Make them equal (go get -tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$P_VER)."
k_stamp="$(tr -d ' \n' <"$TC/kubernetes/VERSION")"
[[ "$k_stamp" == "$K_VER" ]] || die "the Kubernetes provider in lab/toolchain/kubernetes would be stamped $k_stamp" \
  "(lab/toolchain/kubernetes/VERSION, provider $(gomod_require "$TC/kubernetes" $K8S_PROVIDER_MOD))," \
  "but $PODLAB_LOCK pins @pulumi/kubernetes $K_VER. The npm SDK asks the engine for a provider of its own version," \
  "so pin @pulumi/kubernetes to $k_stamp (or move the provider module to the commit of release $K_VER)."

mkdir -p "$BIN" "$LIBEXEC/policy-nodejs" "$PODLAB_PULUMI_HOME" "$PODLAB_TOOLCHAIN_DIR/stamps"
exec 9>"$PODLAB_TOOLCHAIN_DIR/.lock"
flock 9 # one build per toolchain dir at a time

# A binary is current when its stamp (written after a verified build) names the hash of the
# inputs it was built from and the sha256 of the file still there. -trimpath drops -ldflags from
# the build info, so the version stamp cannot be read back with `go version -m`; the build
# verifies it by asking the binary itself (pulumi version / pulumi package get-schema).
inputs_hash() { # <files...> (relative to lab/toolchain)
  (cd "$TC" && cat "$@" | sha256sum | cut -c1-16)
}
PULUMI_INPUTS="$(inputs_hash pulumi/go.mod pulumi/go.sum)"
K8S_INPUTS="$(inputs_hash kubernetes/go.mod kubernetes/go.sum kubernetes/main.go kubernetes/VERSION)"
stamp_ok() { # <binary path> <inputs hash>
  local f
  f="$PODLAB_TOOLCHAIN_DIR/stamps/$(basename "$1")"
  [[ -x "$1" && -f "$f" ]] || return 1
  [[ "$(cat "$f")" == "$2 $(sha256sum <"$1" | cut -c1-64)" ]]
}
write_stamp() { # <binary path> <inputs hash>
  echo "$2 $(sha256sum <"$1" | cut -c1-64)" >"$PODLAB_TOOLCHAIN_DIR/stamps/$(basename "$1")"
}
pulumi_reports_version() {
  [[ "$(PULUMI_HOME="$PODLAB_PULUMI_HOME" "$PULUMI" version 2>/dev/null)" == "v$P_VER" ]]
}
provider_reports_version() { # version in the schema the provider binary serves
  local v
  v="$(cd "$PODLAB_TOOLCHAIN_DIR" && PULUMI_HOME="$PODLAB_PULUMI_HOME" \
    "$PULUMI" package get-schema "$PROVIDER" 2>/dev/null |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).version))')" || true
  [[ "$v" == "$K_VER" ]] || { log "pulumi-resource-kubernetes serves schema version '$v', expected $K_VER"; return 1; }
}
pulumi_ok() { stamp_ok "$PULUMI" "$PULUMI_INPUTS" && pulumi_reports_version; }
provider_ok() { stamp_ok "$PROVIDER" "$K8S_INPUTS"; }
MANIFEST="$PODLAB_TOOLCHAIN_DIR/manifest.json"
up_to_date() {
  pulumi_ok && provider_ok && [[ -x "$SHIM" && -f "$MANIFEST" ]]
}

# go build with wall time and peak RSS (largest single compile/link process) when GNU time is there.
timed_build() { # <name> <go build args...>
  local name="$1" t0=$SECONDS; shift
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "toolchain: built $name in %e s (peak RSS %M KiB, %U s user)" go build "$@"
  else
    go build "$@"; log "built $name in $((SECONDS - t0)) s"
  fi
}

build_pulumi() {
  log "building pulumi v$P_VER (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)"
  (cd "$TC/pulumi" && timed_build pulumi -trimpath -ldflags "-s -w -X $PULUMI_VERSION_PKG=v$P_VER" \
    -o "$BIN/.pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv -f "$BIN/.pulumi.new" "$PULUMI"
  pulumi_reports_version || die "$PULUMI does not report v$P_VER"
  write_stamp "$PULUMI" "$PULUMI_INPUTS"
}

build_provider() {
  # main.go embeds schema-embed.json / terraform-mapping-embed.json. They are generated here, in a
  # scratch module dir, from the provider module's schema.json / terraform-mapping.json by the
  # provider's own generate.go (sets the schema version); they never land in the repo.
  local src="$PODLAB_TOOLCHAIN_DIR/build/kubernetes" moddir
  rm -rf "$src" && mkdir -p "$src"
  cp "$TC/kubernetes/go.mod" "$TC/kubernetes/go.sum" "$TC/kubernetes/main.go" "$src/"
  log "building pulumi-resource-kubernetes $K_VER ($K8S_PROVIDER_MOD $(gomod_require "$src" $K8S_PROVIDER_MOD))"
  (
    cd "$src"
    go mod download "$K8S_PROVIDER_MOD"
    moddir="$(go list -m -f '{{.Dir}}' "$K8S_PROVIDER_MOD")"
    cp "$moddir/cmd/pulumi-resource-kubernetes/schema.json" "$moddir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" .
    chmod u+w schema.json terraform-mapping.json
    local t0=$SECONDS
    VERSION="$K_VER" go run "$moddir/cmd/pulumi-resource-kubernetes/generate.go"
    log "generated schema-embed.json (version $K_VER) in $((SECONDS - t0)) s"
    timed_build pulumi-resource-kubernetes -trimpath -ldflags "-s -w -X $K8S_VERSION_PKG=$K_VER" \
      -o "$LIBEXEC/.pulumi-resource-kubernetes.new" .
  )
  mv -f "$LIBEXEC/.pulumi-resource-kubernetes.new" "$PROVIDER"
  rm -rf "$PODLAB_TOOLCHAIN_DIR/build"
  provider_reports_version || die "$PROVIDER does not serve version $K_VER"
  write_stamp "$PROVIDER" "$K8S_INPUTS"
  provider_rebuilt=1
}

write_policy_shim() {
  # Without a `nodejs` language plugin, pulumi runs a nodejs policy pack as the analyzer plugin
  # `pulumi-analyzer-policy-nodejs <engine address> . [-opt=val...]`, in the policy pack dir.
  cat >"$SHIM.new" <<'SH'
#!/bin/sh
# podlab: run a nodejs policy pack without the nodejs language host (see lab/toolchain/NOTES.md).
exec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"
SH
  chmod 755 "$SHIM.new"
  mv -f "$SHIM.new" "$SHIM"
}

write_manifest() {
  node -e '
    const [dir, p, k, r, pin, kin, gov] = process.argv.slice(1);
    const fs = require("fs");
    const sha = (b) => fs.readFileSync(`${dir}/stamps/${b}`, "utf8").split(" ")[1].trim();
    fs.writeFileSync(`${dir}/manifest.json`, JSON.stringify({
      written: new Date().toISOString(), go: gov,
      versions: { pulumi: p, kubernetes: k, random: r || null },
      randomProvider: r ? "not built: module not served (lab/toolchain/BLOCKED.md)" : undefined,
      inputs: { pulumi: pin, kubernetes: kin },
      sha256: { pulumi: sha("pulumi"), "pulumi-resource-kubernetes": sha("pulumi-resource-kubernetes") },
    }, null, 2) + "\n");' "$PODLAB_TOOLCHAIN_DIR" "$P_VER" "$K_VER" "$PODLAB_RANDOM_VERSION" \
    "$PULUMI_INPUTS" "$K8S_INPUTS" "$(go env GOVERSION)"
}

t_start=$SECONDS
provider_rebuilt=0 shim_written=0
if up_to_date; then
  log "up to date: $PODLAB_TOOLCHAIN_DIR"
else
  pulumi_ok || build_pulumi
  provider_ok || build_provider
  write_policy_shim
  shim_written=1
  write_manifest
fi

# ---- 2. provider and policy shim into PULUMI_HOME's plugin cache -------------------------------
export PULUMI_HOME="$PODLAB_PULUMI_HOME"
installed="$("$PULUMI" plugin ls 2>/dev/null || true)"
ensure_plugin() { # <kind> <name> <version> <file or dir> <force: 0|1>
  if [[ $5 == 0 ]] && awk -v k="$1" -v n="$2" -v v="$3" \
    '$1==n && $2==k && ($3==v || $3=="v" v) {f=1} END {exit !f}' <<<"$installed"; then
    log "plugin $1 $2 $3 already in $PULUMI_HOME"
  else
    log "installing plugin $1 $2 $3 into $PULUMI_HOME"
    "$PULUMI" plugin install "$1" "$2" "$3" --file "$4" --reinstall >&2
  fi
}
ensure_plugin resource kubernetes "$K_VER" "$PROVIDER" "$provider_rebuilt"
ensure_plugin analyzer policy-nodejs "$P_VER" "$(dirname "$SHIM")" "$shim_written"

# ---- 3. @pulumi/random: provider module not on the Go proxy -----------------------------------
if [[ -n "$PODLAB_RANDOM_VERSION" ]]; then
  echo "toolchain: WARNING: no provider for @pulumi/random $PODLAB_RANDOM_VERSION: github.com/pulumi/pulumi-random/provider/v4 is not served by the Go module proxy (see lab/toolchain/BLOCKED.md); programs using random.* cannot deploy in the lab" >&2
fi

log "ready in $((SECONDS - t_start)) s: $PODLAB_TOOLCHAIN_DIR (eval \"\$(bash lab/env)\" to use it)"
