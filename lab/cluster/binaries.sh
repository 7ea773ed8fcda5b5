# shellcheck shell=bash
# Building the Kubernetes and KWOK binaries from the Go modules under lab/k8s, and the stamps that say whether they are current.
# Part of lab/cluster/lib.sh (sourced by it, after its settings; see docs/lab.md).

k8s_ldflags() {
  local minor="${K8S_VERSION#v1.}" ld="-s -w" pkg
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ld"
}

build_inputs_hash() {
  (cd "$K8S_MOD" && cat go.mod go.sum cmd/*/main.go; echo "$K8S_VERSION $K8S_BINARIES $(k8s_ldflags)") | sha256sum | cut -c1-16
}

k8s_built() {
  local b
  for b in $K8S_BINARIES; do [ -x "$K8S_BIN/$b" ] || return 1; done
  [ "$(cat "$K8S_BIN/.stamp" 2>/dev/null)" = "$(build_inputs_hash)" ] || return 1
  "$K8S_BIN/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"
}

# A binary built from a wrapper module of ours (lab/k8s/kwok, lab/node/crictl,
# lab/node/kube-router): its go.mod and go.sum pin it, and their hash, stamped
# beside the binary, tells whether it is current.
wrapper_stamp() { (cd "$1" && cat go.mod go.sum) | sha256sum | cut -c1-16; }
wrapper_built() { # binary module-dir
  [ -x "$1" ] && [ "$(cat "$(dirname "$1")/.stamp" 2>/dev/null)" = "$(wrapper_stamp "$2")" ]
}
wrapper_build() { # binary module-dir package ldflags
  go_env
  mkdir -p "$(dirname "$1")"
  log "building $3 into $(dirname "$1")"
  (cd "$2" && timed_go_build "$1" "$3" "$4")
  wrapper_stamp "$2" >"$(dirname "$1")/.stamp"
}

kwok_built() { wrapper_built "$KWOK_BIN/kwok" "$KWOK_MOD"; }

# Go from PATH (or /usr/local/go), never a downloaded toolchain.
go_env() {
  command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && PATH="/usr/local/go/bin:$PATH"; }
  command -v go >/dev/null || die "go not found"
  export GOFLAGS="${GOFLAGS:--buildvcs=false}"
  export GOTOOLCHAIN=local # never try to download a Go toolchain
}

# go build one main package, measured with /usr/bin/time -v when available.
timed_go_build() { # out pkg ldflags
  local out="$1" pkg="$2" ldflags="$3" t0 tv
  t0=$(now)
  tv="$(mktemp)"
  local timecmd=()
  [ -x /usr/bin/time ] && timecmd=(/usr/bin/time -v -o "$tv")
  CGO_ENABLED=0 "${timecmd[@]}" go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg" ||
    { rm -f "$tv" "$out.tmp"; die "go build $pkg failed"; }
  mv -f "$out.tmp" "$out"
  local rss=""
  [ -s "$tv" ] && rss="$(awk -F': ' '/Maximum resident/{printf ", peak RSS %d MiB", $2/1024}' "$tv")"
  rm -f "$tv"
  log "built $(basename "$out") in $(elapsed "$t0")$rss, $(du -m "$out" | cut -f1) MiB"
}

lab_build() {
  go_env
  local t0 b
  t0=$(now)
  if k8s_built; then
    log "kubernetes $K8S_VERSION binaries present in $K8S_BIN"
  else
    mkdir -p "$K8S_BIN"
    rm -f "$K8S_BIN/.stamp"
    local ld
    ld="$(k8s_ldflags)"
    log "building kubernetes $K8S_VERSION ($K8S_BINARIES) into $K8S_BIN"
    (cd "$K8S_MOD" && go mod download) || die "go mod download failed in $K8S_MOD"
    for b in $K8S_BINARIES; do
      (cd "$K8S_MOD" && timed_go_build "$K8S_BIN/$b" "./cmd/$b" "$ld")
    done
    build_inputs_hash >"$K8S_BIN/.stamp"
  fi
  if kwok_built; then
    log "kwok $KWOK_VERSION present in $KWOK_BIN"
  else
    wrapper_build "$KWOK_BIN/kwok" "$KWOK_MOD" sigs.k8s.io/kwok/cmd/kwok \
      "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
  fi
  if declare -F node_build >/dev/null; then node_build; fi
  log "build done in $(elapsed "$t0"); disk: $(du -sh "$K8S_BIN" | cut -f1) k8s, $(du -sh "$KWOK_BIN" | cut -f1) kwok"
}
