#!/usr/bin/env bash
# Builds the lab's Pulumi toolchain from Go modules (no prebuilt downloads):
#   bin/pulumi                              github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   bin/pulumi-language-nodejs              podlab's front for the Node.js language host
#                                           (lab/toolchain/pulumi/nodejs-langhost): forwards to the
#                                           host below, and runs policy packs (RunPlugin) itself
#   libexec/pulumi-language-nodejs-host     the Node.js language host, from sdk/v3 (lab/toolchain/nodejs)
# into ${PODLAB_CACHE:-~/.cache/podlab}/toolchain/pulumi-<v>_kubernetes-<v>/, and
#   libexec/pulumi-resource-kubernetes      pulumi-kubernetes provider
# into toolchain/kubernetes-<v>_<hash of its inputs>/ beside it (it takes the longest to build and
# does not depend on the CLI, so a new CLI reuses it), then installs the provider into the
# toolchain's PULUMI_HOME plugin cache (resource kubernetes <k8s version>).
# The CLI and provider versions come from package-lock.json, the language host's from
# lab/toolchain/nodejs/go.mod (the newest the module proxy serves; docs/lab.md).
# Only bin/ goes on PATH (lab/env): the engine prefers a provider found on PATH over the plugin
# cache whatever version the SDK asks for (hiding a version mismatch) and warns on every run;
# from the plugin cache the provider is matched by version like a released plugin. The language
# plugin sits next to `pulumi`, where a regular install bundles it: found there, it draws no warning.
# Re-running with everything in place exits in seconds without network access.
# See docs/lab.md, "The Pulumi toolchain".
set -euo pipefail

# shellcheck source=lib/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/versions.sh"
podlab_use_nodejs
podlab_read_lock_versions

TC="$PODLAB_ROOT/lab/toolchain"
BIN="$PODLAB_TOOLCHAIN_BIN"
LIBEXEC="$PODLAB_TOOLCHAIN_DIR/libexec"
PULUMI="$BIN/pulumi"
LANGHOST="$BIN/pulumi-language-nodejs"
NODEJS_HOST="$LIBEXEC/pulumi-language-nodejs-host"
P_VER="$PODLAB_PULUMI_VERSION"
K_VER="$PODLAB_KUBERNETES_VERSION"
SDK_MOD=github.com/pulumi/pulumi/sdk/v3
PULUMI_VERSION_PKG=$SDK_MOD/go/common/version.Version
NODEJS_HOST_PKG=$SDK_MOD/nodejs/cmd/pulumi-language-nodejs
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
# The language host is older than the CLI on purpose: sdk/v3 carries it only up to v3.68.0.
N_VER="$(gomod_require "$TC/nodejs" $SDK_MOD)"
N_VER="${N_VER#v}"
[[ -n "$N_VER" ]] || die "lab/toolchain/nodejs/go.mod requires no $SDK_MOD (the Node.js language host's module)"

# A binary is current when its stamp (written after a verified build) names the hash of the
# inputs it was built from and the sha256 of the file still there. -trimpath drops -ldflags from
# the build info, so the version stamp cannot be read back with `go version -m`; the build
# verifies it by asking the binary itself (pulumi version / pulumi package get-schema).
inputs_hash() { # <files...> (relative to lab/toolchain)
  (cd "$TC" && cat "$@" | sha256sum | cut -c1-16)
}
PULUMI_INPUTS="$(inputs_hash pulumi/go.mod pulumi/go.sum)"
K8S_INPUTS="$(inputs_hash kubernetes/go.mod kubernetes/go.sum kubernetes/main.go kubernetes/VERSION)"
NODEJS_HOST_INPUTS="$(inputs_hash nodejs/go.mod nodejs/go.sum)"
LANGHOST_INPUTS="$(inputs_hash pulumi/go.mod pulumi/go.sum pulumi/nodejs-langhost/main.go)"
PROVIDER_DIR="$PODLAB_CACHE/toolchain/kubernetes-${K_VER}_$K8S_INPUTS"
PROVIDER="$PROVIDER_DIR/libexec/pulumi-resource-kubernetes"

mkdir -p "$BIN" "$LIBEXEC" "$PODLAB_PULUMI_HOME" "$PODLAB_TOOLCHAIN_DIR/stamps" "$PROVIDER_DIR/libexec" "$PROVIDER_DIR/stamps"
exec 9>"$PODLAB_TOOLCHAIN_DIR/.lock"
flock 9 # one build per toolchain dir at a time

stamp_of() { # <binary path>: <dir>/stamps/<name> for <dir>/bin/<name> or <dir>/libexec/<name>
  echo "$(dirname "$(dirname "$1")")/stamps/$(basename "$1")"
}
stamp_ok() { # <binary path> <inputs hash>
  local f
  f="$(stamp_of "$1")"
  [[ -x "$1" && -f "$f" ]] || return 1
  [[ "$(cat "$f")" == "$2 $(sha256sum <"$1" | cut -c1-64)" ]]
}
write_stamp() { # <binary path> <inputs hash>
  echo "$2 $(sha256sum <"$1" | cut -c1-64)" >"$(stamp_of "$1")"
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
# The language host answers its version only over gRPC; the front asks it (and so checks that it
# finds the host and talks to it).
langhost_reports_version() {
  local v
  v="$("$LANGHOST" -podlab-host-version 2>&1)" || true
  [[ "$v" == "v$N_VER" ]] || { log "pulumi-language-nodejs -podlab-host-version printed '$v', expected v$N_VER"; return 1; }
}
pulumi_ok() { stamp_ok "$PULUMI" "$PULUMI_INPUTS" && pulumi_reports_version; }
provider_ok() { stamp_ok "$PROVIDER" "$K8S_INPUTS"; }
nodejs_host_ok() { stamp_ok "$NODEJS_HOST" "$NODEJS_HOST_INPUTS"; }
langhost_ok() { stamp_ok "$LANGHOST" "$LANGHOST_INPUTS"; }
MANIFEST="$PODLAB_TOOLCHAIN_DIR/manifest.json"
up_to_date() {
  pulumi_ok && provider_ok && nodejs_host_ok && langhost_ok && [[ -f "$MANIFEST" ]]
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
  local src="$PROVIDER_DIR/build/kubernetes" moddir
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
      -o "$PROVIDER.new" .
  )
  mv -f "$PROVIDER.new" "$PROVIDER"
  rm -rf "$PROVIDER_DIR/build"
  provider_reports_version || die "$PROVIDER does not serve version $K_VER"
  write_stamp "$PROVIDER" "$K8S_INPUTS"
}

# Toolchains of other CLI versions share the provider: one build at a time, and whoever waited
# finds it built.
ensure_provider() {
  exec 8>"$PROVIDER_DIR/.lock"
  flock 8
  provider_ok || build_provider
  exec 8>&-
}

build_nodejs_host() {
  log "building the Node.js language host v$N_VER ($NODEJS_HOST_PKG)"
  (cd "$TC/nodejs" && timed_build pulumi-language-nodejs-host -trimpath -ldflags "-s -w -X $PULUMI_VERSION_PKG=v$N_VER" \
    -o "$LIBEXEC/.pulumi-language-nodejs-host.new" "$NODEJS_HOST_PKG")
  # Built from the pinned module: the build info names it (the version stamp is checked through the front).
  go version -m "$LIBEXEC/.pulumi-language-nodejs-host.new" | grep -q "^[[:space:]]*mod[[:space:]]$SDK_MOD[[:space:]]v$N_VER[[:space:]]" ||
    die "$NODEJS_HOST was not built from $SDK_MOD v$N_VER"
  mv -f "$LIBEXEC/.pulumi-language-nodejs-host.new" "$NODEJS_HOST"
  write_stamp "$NODEJS_HOST" "$NODEJS_HOST_INPUTS"
}

build_langhost() {
  log "building pulumi-language-nodejs, the front for the language host (lab/toolchain/pulumi/nodejs-langhost)"
  (cd "$TC/pulumi" && timed_build pulumi-language-nodejs -trimpath \
    -ldflags "-s -w -X main.hostPath=$(realpath --relative-to="$BIN" "$NODEJS_HOST")" \
    -o "$BIN/.pulumi-language-nodejs.new" ./nodejs-langhost)
  mv -f "$BIN/.pulumi-language-nodejs.new" "$LANGHOST"
  write_stamp "$LANGHOST" "$LANGHOST_INPUTS"
}

write_manifest() {
  node -e '
    const [dir, pdir, p, k, n, r, pin, kin, nin, lin, gov] = process.argv.slice(1);
    const fs = require("fs");
    const sha = (b) => fs.readFileSync(`${b === "pulumi-resource-kubernetes" ? pdir : dir}/stamps/${b}`, "utf8").split(" ")[1].trim();
    fs.writeFileSync(`${dir}/manifest.json`, JSON.stringify({
      written: new Date().toISOString(), go: gov,
      versions: { pulumi: p, kubernetes: k, nodejsLanguageHost: n, random: r || null },
      randomProvider: r ? "not built: module not served (docs/lab.md)" : undefined,
      inputs: { pulumi: pin, kubernetes: kin, "pulumi-language-nodejs-host": nin, "pulumi-language-nodejs": lin },
      kubernetesProvider: `${pdir}/libexec/pulumi-resource-kubernetes`,
      sha256: Object.fromEntries(["pulumi", "pulumi-resource-kubernetes", "pulumi-language-nodejs-host", "pulumi-language-nodejs"]
        .map((b) => [b, sha(b)])),
    }, null, 2) + "\n");' "$PODLAB_TOOLCHAIN_DIR" "$PROVIDER_DIR" "$P_VER" "$K_VER" "$N_VER" "$PODLAB_RANDOM_VERSION" \
    "$PULUMI_INPUTS" "$K8S_INPUTS" "$NODEJS_HOST_INPUTS" "$LANGHOST_INPUTS" "$(go env GOVERSION)"
}

t_start=$SECONDS
if up_to_date; then
  log "up to date: $PODLAB_TOOLCHAIN_DIR"
else
  pulumi_ok || build_pulumi
  ensure_provider
  nodejs_host_ok || build_nodejs_host
  langhost_ok || build_langhost
  langhost_reports_version || die "$LANGHOST does not reach the language host v$N_VER ($NODEJS_HOST)"
  write_manifest
fi

# ---- 2. provider into PULUMI_HOME's plugin cache ----------------------------------------------
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
# Reinstalled when the installed copy is not of the provider build now in use (its stamp).
provider_installed="$PODLAB_TOOLCHAIN_DIR/stamps/plugin-resource-kubernetes"
provider_stamp="$(cat "$(stamp_of "$PROVIDER")")"
ensure_plugin resource kubernetes "$K_VER" "$PROVIDER" "$([[ "$(cat "$provider_installed" 2>/dev/null)" == "$provider_stamp" ]] && echo 0 || echo 1)"
echo "$provider_stamp" >"$provider_installed"
# Toolchain dirs built before the provider had a directory of its own kept a copy in libexec/.
rm -f "$LIBEXEC/pulumi-resource-kubernetes"
# Toolchains built before the language host ran policy packs through an analyzer plugin
# policy-nodejs; with a language plugin present the CLI never uses it, so it goes.
if awk '$1=="policy-nodejs" && $2=="analyzer" {f=1} END {exit !f}' <<<"$installed"; then
  log "removing plugin analyzer policy-nodejs (policy packs now run through the language host)"
  "$PULUMI" plugin rm analyzer policy-nodejs --yes >&2
fi
rm -rf "$LIBEXEC/policy-nodejs"

# ---- 3. @pulumi/random: provider module not on the Go proxy -----------------------------------
if [[ -n "$PODLAB_RANDOM_VERSION" ]]; then
  echo "toolchain: WARNING: no provider for @pulumi/random $PODLAB_RANDOM_VERSION: github.com/pulumi/pulumi-random/provider/v4 is not served by the Go module proxy (see docs/lab.md); programs using random.* cannot deploy in the lab" >&2
fi

log "ready in $((SECONDS - t_start)) s: $PODLAB_TOOLCHAIN_DIR (eval \"\$(bash lab/env)\" to use it)"
