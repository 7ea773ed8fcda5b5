#!/usr/bin/env bash
# Builds the lab's container images from Debian bookworm packages, with no
# registry and no Docker: mmdebstrap (or dpkg-deb for the tiny ones) makes a
# root filesystem, umoci wraps it as a one-layer OCI image, and the OCI layout
# is kept as a tar in the cache, ready for `ctr images import`.
#
#   bash lab/images/build.sh [--force] [all | NAME...]   build what is missing or stale
#   bash lab/images/build.sh list                        reference, archive and size of each
#
# NAME is one of: pause busybox postgres nginx curl workbench (see lab/images/images.sh).
# Archives go to $PODLAB_CACHE/images/<name>/<tag>.oci.tar (default
# ~/.cache/podlab), with .stamp (hash of the recipe), .packages (the Debian
# packages and versions inside) and .build (time and sizes). Downloaded .deb
# files are kept in $PODLAB_CACHE/images/debs. Needs root (mmdebstrap's root
# mode runs maintainer scripts in a chroot). See lab/images/README.md.
# shellcheck disable=SC2016 # single-quoted $1/${Package}: expanded by mmdebstrap hooks and dpkg-query, not here
set -euo pipefail

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=images.sh
source "$IMAGES_DIR/images.sh"

SUITE=bookworm
MIRROR="${PODLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${PODLAB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
DEBS="$IMAGE_CACHE/debs"
# Fixed timestamps make the layers reproducible for the same package versions.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}" # 2025-01-01T00:00:00Z
CREATED="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"

log() { printf '[images %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.0f", b-a}'; }

need_tools() {
  local missing=() t
  for t in mmdebstrap umoci dpkg-deb apt-get; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ ${#missing[@]} = 0 ] && return 0
  log "installing mmdebstrap umoci with apt-get (missing: ${missing[*]})"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap umoci >/dev/null ||
    die "apt-get install mmdebstrap umoci failed"
}

# The recipe of one image: what its cache stamp hashes.
recipe_hash() {
  {
    cat "$IMAGES_DIR/build.sh" "$IMAGES_DIR/images.sh"
    [ -d "$IMAGES_DIR/$1" ] && find "$IMAGES_DIR/$1" -type f | LC_ALL=C sort | xargs cat
    echo "$1 $(image_ref "$1") $SUITE $MIRROR $SECURITY_MIRROR $SOURCE_DATE_EPOCH"
    # The workbench holds the lab's own kubectl: a new build of it is a new image.
    if [ "$1" = workbench ]; then sha256sum <"$(workbench_kubectl)" 2>/dev/null || echo "no kubectl"; fi
  } | sha256sum | cut -c1-16
}

built() { [ -s "$(image_archive "$1")" ] && [ "$(cat "$(image_archive "$1").stamp" 2>/dev/null)" = "$(recipe_hash "$1")" ]; }

# ------------------------------------------------------------------ root filesystems

# debian_rootfs DIR PACKAGES [ESSENTIAL-HOOK]: a bookworm "essential" system plus
# PACKAGES (no Recommends), merged /usr without the usrmerge package (which
# would pull in perl), no docs/man pages/translations (copyright files kept).
debian_rootfs() {
  local dir="${1:?}" pkgs="$2" hook="${3:-}"
  mkdir -p "$DEBS"
  local args=(
    --variant=essential --mode=root --format=directory
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --include="$pkgs"
    --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Languages "none"'
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
    # keep downloaded packages for the next build (the archive is slow from here)
    --skip=essential/unlink
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
    --setup-hook="sync-in $DEBS /var/cache/apt/archives/"
    --customize-hook="sync-out /var/cache/apt/archives $DEBS"
  )
  [ -n "$hook" ] && args+=(--essential-hook="$hook")
  mmdebstrap "${args[@]}" "$SUITE" "$dir" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main" \
    >"$WORK/mmdebstrap.log" 2>&1 || { tail -n 30 "$WORK/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $WORK/mmdebstrap.log)"; }
  rm -f "$DEBS"/lock "$DEBS"/partial/* 2>/dev/null || true
  # Nothing of the build host or the build run belongs in an image.
  rm -rf "${dir:?}"/dev/* "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/var/log/* \
    "$dir"/var/cache/ldconfig/aux-cache "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old \
    "$dir"/etc/machine-id "$dir"/etc/hostname "$dir"/etc/resolv.conf "$dir"/tmp/* "$dir"/root/.bash_history
  : >"$dir/etc/hostname"
}

# A package's installed version in a root filesystem.
pkg_version() { chroot "$1" dpkg-query -W -f '${Version}' "$2"; }

check_series() { # rootfs package expected-prefix
  local v
  v="$(pkg_version "$1" "$2")"
  case "$v" in "$3"*) ;; *) die "$2 is $v in $SUITE, but the tag promises $3*: update lab/images/images.sh" ;; esac
  echo "$v"
}

add_user() { # rootfs name uid gid group home [shell]
  local r="$1" have
  have="$(awk -F: -v g="$4" '$3==g{print $1}' "$r/etc/group")"
  if [ -z "$have" ]; then
    echo "$5:x:$4:" >>"$r/etc/group"
  elif [ "$have" != "$5" ]; then
    die "gid $4 is $have in $r/etc/group, not $5"
  fi
  awk -F: -v u="$3" '$3==u{f=1}END{exit !f}' "$r/etc/passwd" && die "uid $3 already exists in $r/etc/passwd"
  echo "$2:x:$3:$4:$2:$6:${7:-/usr/sbin/nologin}" >>"$r/etc/passwd"
  if [ -f "$r/etc/shadow" ]; then echo "$2:!:19000::::::" >>"$r/etc/shadow"; fi
}

# Debian package files, downloaded (and kept) without installing them.
fetch_deb() { # package -> path of the .deb
  mkdir -p "$DEBS"
  local f
  f="$(find "$DEBS" -maxdepth 1 -name "${1}_*.deb" | sort | tail -n1)"
  if [ -z "$f" ]; then
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null) || die "apt-get download $1 failed"
    f="$(find "$DEBS" -maxdepth 1 -name "${1}_*.deb" | sort | tail -n1)"
  fi
  echo "$f"
}

# ------------------------------------------------------------------ recipes
# Each recipe fills $ROOT and sets CONFIG (umoci config flags), VERSION (the main
# package version) and PACKAGES_LIST; build_image does the rest.

recipe_pause() {
  local deb
  deb="$(fetch_deb catatonit)"
  dpkg-deb -x "$deb" "$WORK/deb"
  VERSION="$(dpkg-deb -f "$deb" Version)"
  case "$VERSION" in 0.1.7*) ;; *) die "catatonit is $VERSION, the tag says 0.1.7" ;; esac
  # the image holds nothing else: no libc, so the binary must be static
  if LC_ALL=C readelf -l "$WORK/deb/usr/bin/catatonit" 2>/dev/null | grep -q 'Requesting program interpreter'; then
    die "catatonit in $deb is dynamically linked"
  fi
  install -D -m 0755 "$WORK/deb/usr/bin/catatonit" "$ROOT/catatonit"
  mkdir -p "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/etc"
  PACKAGES_LIST="catatonit $VERSION"
  # 65535 like registry.k8s.io/pause; -P: just hold the namespaces, reap nothing
  CONFIG=(--config.entrypoint /catatonit --config.entrypoint -P --config.user 65535:65535 --config.workingdir /)
  DESCRIPTION="pod sandbox: catatonit -P from Debian's catatonit $VERSION"
}

recipe_busybox() {
  local deb
  deb="$(fetch_deb busybox-static)"
  dpkg-deb -x "$deb" "$WORK/deb"
  VERSION="$(dpkg-deb -f "$deb" Version)"
  install -D -m 0755 "$WORK/deb/bin/busybox" "$ROOT/bin/busybox"
  mkdir -p "$ROOT/etc" "$ROOT/tmp" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/root" "$ROOT/usr/bin" "$ROOT/sbin" "$ROOT/usr/sbin"
  chmod 1777 "$ROOT/tmp"
  chroot "$ROOT" /bin/busybox --install -s
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ROOT/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
  PACKAGES_LIST="busybox-static $VERSION"
  CONFIG=(--config.cmd sh --config.user 65534:65534 --config.workingdir /)
  DESCRIPTION="busybox-static $VERSION, for smoke tests"
}

recipe_postgres() {
  # The official image's postgres user is 999:999; create it before
  # postgresql-common's postinst would pick another uid. Beside the server:
  # libnss-wrapper (the entrypoint's stand-in passwd entry), xz-utils and zstd
  # (compressed init scripts) and less (psql's pager), as the official image has.
  debian_rootfs "$ROOT" postgresql-15,libnss-wrapper,xz-utils,zstd,less \
    'echo "postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash" >>"$1/etc/passwd";
     echo "postgres:x:999:" >>"$1/etc/group";
     if [ -f "$1/etc/shadow" ]; then echo "postgres:*:19000:0:99999:7:::" >>"$1/etc/shadow"; fi'
  VERSION="$(check_series "$ROOT" postgresql-15 15.)"
  # The package made a "main" cluster and a snakeoil TLS key: neither belongs in an image.
  rm -rf "$ROOT"/var/lib/postgresql/15 "$ROOT"/etc/postgresql/15 \
    "$ROOT"/etc/ssl/private/ssl-cert-snakeoil.key "$ROOT"/etc/ssl/certs/ssl-cert-snakeoil.pem
  # postgresql-common put postgres into ssl-cert for that key; the official image has no such group membership
  sed -i -E 's/^(ssl-cert:[^:]*:[0-9]+:)postgres$/\1/' "$ROOT/etc/group"
  if [ -f "$ROOT/etc/gshadow" ]; then sed -i -E 's/^(ssl-cert:[^:]*:[^:]*:)postgres$/\1/' "$ROOT/etc/gshadow"; fi
  # As in the official image: the home and PGDATA are 1777 so any uid can make
  # its data directory there (the entrypoint makes PGDATA 0700); the socket directory is 3777.
  install -d -o 999 -g 999 -m 1777 "$ROOT/var/lib/postgresql" "$ROOT/var/lib/postgresql/data"
  # /var/run is an absolute link to /run: through it, install would change the build host's /run
  install -d -o 999 -g 999 -m 3777 "$ROOT/run/postgresql"
  install -d -m 0755 "$ROOT/docker-entrypoint-initdb.d"
  # Every new cluster listens on every address through its config, not a command-line flag.
  local sample="$ROOT/usr/share/postgresql/15/postgresql.conf.sample"
  sed -i -E "s/^#?listen_addresses[[:space:]]*=[[:space:]]*[^[:space:]]+/listen_addresses = '*'/" "$sample"
  grep -q "^listen_addresses = '\*'" "$sample" || die "listen_addresses not found in $sample"
  install -D -m 0755 "$IMAGES_DIR/postgres/docker-entrypoint.sh" "$ROOT/usr/local/bin/docker-entrypoint.sh"
  [ "$(awk -F: '$1=="postgres"{print $3":"$4}' "$ROOT/etc/passwd")" = 999:999 ] || die "postgres is not 999:999 in the image"
  # The versioned bin directory comes last in PATH, as in the official image: psql,
  # pg_isready and the other client tools resolve to /usr/bin (Debian's pg_wrapper);
  # initdb, pg_ctl and postgres exist only there. No USER: root unless the pod says otherwise.
  CONFIG=(
    --config.entrypoint docker-entrypoint.sh --config.cmd postgres
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/15/bin
    --config.env PG_MAJOR=15 --config.env PGDATA=/var/lib/postgresql/data --config.env LANG=C.UTF-8
    --config.exposedports 5432/tcp --config.volume /var/lib/postgresql/data
    --config.stopsignal SIGINT
  )
  DESCRIPTION="PostgreSQL $VERSION from Debian $SUITE; the official image's entrypoint behaviour (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB, /docker-entrypoint-initdb.d, PGDATA, PGPORT)"
}

recipe_nginx() {
  debian_rootfs "$ROOT" nginx
  VERSION="$(check_series "$ROOT" nginx 1.22.)"
  add_user "$ROOT" nginx 101 101 nginx /nonexistent
  install -m 0644 "$IMAGES_DIR/nginx/nginx.conf" "$ROOT/etc/nginx/nginx.conf"
  rm -f "$ROOT"/etc/nginx/sites-enabled/* "$ROOT"/var/www/html/index.nginx-debian.html
  printf '<!doctype html>\n<html><body><h1>podlab.local/nginx</h1></body></html>\n' >"$ROOT/var/www/html/index.html"
  # nginx opens its compiled-in error log before reading the config
  install -d -m 0755 "$ROOT/var/log/nginx"
  ln -sf /dev/stderr "$ROOT/var/log/nginx/error.log"
  ln -sf /dev/stdout "$ROOT/var/log/nginx/access.log"
  CONFIG=(
    --config.cmd nginx --config.cmd -g --config.cmd 'daemon off;'
    --config.user 101 --config.workingdir /
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --config.exposedports 8080/tcp --config.stopsignal SIGQUIT
  )
  DESCRIPTION="nginx $VERSION from Debian $SUITE, unprivileged (uid 101, port 8080, writes only /tmp)"
}

recipe_curl() {
  debian_rootfs "$ROOT" curl,busybox
  VERSION="$(check_series "$ROOT" curl 7.88.)"
  # As curlimages/curl (Alpine's adduser -S into addgroup -S): curl_user is uid
  # 100, its primary group curl_group is gid 101, and it is listed in that group.
  add_user "$ROOT" curl_user 100 101 curl_group /home/curl_user /bin/sh
  sed -i -E 's/^(curl_group:x:101:)$/\1curl_user/' "$ROOT/etc/group"
  install -d -o 100 -g 101 -m 0755 "$ROOT/home/curl_user"
  # The public image is Alpine: /bin/sh is busybox ash and the everyday commands
  # (date, sleep, id...) are busybox applets. Here too, so a script that only
  # works with dash or GNU coreutils fails on the lab as it would there. The
  # applets go first in PATH (/usr/local/bin) rather than over Debian's files.
  ln -sf busybox "$ROOT/usr/bin/sh"
  local applet
  for applet in $(chroot "$ROOT" /usr/bin/busybox --list); do
    ln -s /usr/bin/busybox "$ROOT/usr/local/bin/$applet"
  done
  [ "$(readlink -f "$ROOT/bin/sh")" = "$ROOT/usr/bin/busybox" ] || die "/bin/sh is not busybox in the curl image"
  install -D -m 0755 -o 100 -g 101 "$IMAGES_DIR/curl/entrypoint.sh" "$ROOT/entrypoint.sh"
  # USER by name, as the public image: a pod needs a numeric runAsUser for runAsNonRoot.
  CONFIG=(
    --config.entrypoint /entrypoint.sh --config.cmd curl
    --config.user curl_user --config.workingdir /home/curl_user
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  )
  DESCRIPTION="curl $VERSION from Debian $SUITE with busybox $(pkg_version "$ROOT" busybox) as /bin/sh, as curl_user (uid 100, group curl_group 101)"
}

recipe_workbench() {
  local kubectl
  kubectl="$(workbench_kubectl)"
  [ -x "$kubectl" ] || die "$kubectl is missing: the workbench image carries the lab's own kubectl (bash lab/cluster.sh build makes it)"
  # A learner's shell: bash and the coreutils (Debian's essential set), curl, and
  # psql from postgresql-client-15; no server, no Recommends.
  debian_rootfs "$ROOT" curl,postgresql-client-15
  VERSION="$("$kubectl" version --client -o json | sed -n 's/.*"gitVersion": *"v\([^"]*\)".*/\1/p' | head -n1)"
  case "$VERSION" in 1.32.*) ;; *) die "the lab's kubectl is $VERSION, the tag promises 1.32" ;; esac
  install -D -m 0755 "$kubectl" "$ROOT/usr/local/bin/kubectl"
  # psql itself on PATH: Debian's /usr/bin/psql is pg_wrapper, a perl script that picks a
  # version, which pulls in perl and its modules. With one version there is nothing to pick,
  # so pg_wrapper's package and perl (beyond the essential perl-base) go: ~40 MiB less.
  ln -s /usr/lib/postgresql/15/bin/psql "$ROOT/usr/local/bin/psql"
  chroot "$ROOT" dpkg --purge --force-depends postgresql-client-common perl perl-modules-5.36 libperl5.36 >/dev/null 2>&1 ||
    die "removing perl and pg_wrapper from the workbench failed"
  chroot "$ROOT" /usr/local/bin/psql --version | grep -q '^psql (PostgreSQL) 15\.' || die "psql does not run in the workbench image"
  # The shell's user (the pod sets runAsUser 1000; the name makes the prompt learner@workbench).
  add_user "$ROOT" learner 1000 1000 learner /home/learner /bin/bash
  install -d -o 1000 -g 1000 -m 0755 "$ROOT/home/learner"
  PACKAGES_LIST="$(chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' | LC_ALL=C sort)
kubectl $VERSION (the lab's build)"
  CONFIG=(
    --config.user 1000:1000 --config.workingdir /home/learner --config.cmd bash
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --config.env HOME=/home/learner
  )
  DESCRIPTION="a learner's workbench: bash, kubectl $VERSION (the lab's build), curl $(pkg_version "$ROOT" curl), psql $(pkg_version "$ROOT" postgresql-client-15) from Debian $SUITE"
}

# ------------------------------------------------------------------ build

build_image() {
  local name="$1" t0 tag ref archive layout
  t0=$(now)
  tag="$(image_tag "$name")" || die "unknown image $name (one of: $IMAGE_NAMES)"
  ref="$(image_ref "$name")"
  archive="$(image_archive "$name")"
  log "building $ref"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/podlab-image-$name.XXXXXX")"
  ROOT="$WORK/rootfs"
  mkdir -p "$ROOT" "$WORK/deb"
  VERSION="" CONFIG=() PACKAGES_LIST="" DESCRIPTION=""
  "recipe_$name"
  if [ -z "$PACKAGES_LIST" ]; then
    PACKAGES_LIST="$(chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' | LC_ALL=C sort)"
  fi
  local t_rootfs
  t_rootfs="$(secs "$t0")"

  # One layer: the whole root filesystem, in a reproducible order.
  tar --sort=name --numeric-owner --xattrs --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$ROOT" -cf "$WORK/layer.tar" .
  local unpacked
  unpacked="$(du -sm --apparent-size "$ROOT" | cut -f1)"

  layout="$WORK/layout"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci raw add-layer --image "$layout:$tag" \
    --history.created "$CREATED" --history.author podlab \
    --history.created_by "lab/images/build.sh $name" --history.comment "$DESCRIPTION" "$WORK/layer.tar"
  umoci config --image "$layout:$tag" --no-history --created "$CREATED" --author podlab \
    --os linux --architecture amd64 "${CONFIG[@]}" \
    --config.label "org.opencontainers.image.title=$ref" \
    --config.label "org.opencontainers.image.version=$VERSION" \
    --config.label "org.opencontainers.image.description=$DESCRIPTION" \
    --config.label "org.opencontainers.image.source=Debian $SUITE packages, built by podlab lab/images/build.sh" \
    --config.label "org.opencontainers.image.created=$CREATED"
  umoci gc --layout "$layout"

  mkdir -p "$(dirname "$archive")"
  tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$SOURCE_DATE_EPOCH" \
    -C "$layout" -cf "$archive.tmp" oci-layout index.json blobs
  mv -f "$archive.tmp" "$archive"
  printf '%s\n' "$PACKAGES_LIST" >"$archive.packages"
  local size_mib secs_total
  size_mib="$(du -m --apparent-size "$archive" | cut -f1)"
  secs_total="$(secs "$t0")"
  printf 'ref=%s\nversion=%s\nbuild_seconds=%s\nrootfs_seconds=%s\narchive_mib=%s\nunpacked_mib=%s\npackages=%s\nbuilt=%s\n' \
    "$ref" "$VERSION" "$secs_total" "$t_rootfs" "$size_mib" "$unpacked" "$(grep -c . "$archive.packages")" "$(date -Is)" >"$archive.build"
  recipe_hash "$name" >"$archive.stamp"
  rm -rf "$WORK"
  log "built $ref ($VERSION) in ${secs_total}s: ${size_mib} MiB compressed, ${unpacked} MiB unpacked -> $archive"
}

list_images() {
  local n a
  printf '%-9s %-42s %8s %9s %7s  %s\n' NAME REFERENCE "GZ MiB" "UNPACKED" "BUILD" ARCHIVE
  for n in $IMAGE_NAMES; do
    a="$(image_archive "$n")"
    if [ -f "$a.build" ]; then
      # shellcheck disable=SC1090,SC2154 # .build sets ref, archive_mib, unpacked_mib, build_seconds
      (source "$a.build" && printf '%-9s %-42s %8s %9s %6ss  %s%s\n' "$n" "$ref" "$archive_mib" "$unpacked_mib" "$build_seconds" "$a" \
        "$(built "$n" || echo ' (stale: recipe changed)')")
    else
      printf '%-9s %-42s %8s %9s %7s  %s\n' "$n" "$(image_ref "$n")" - - - "(not built)"
    fi
  done
}

main() {
  local force=0 names=() all=() n
  [ "${1:-}" = list ] && { list_images; return; }
  while [ $# -gt 0 ]; do
    case "$1" in
      --force) force=1 ;;
      all) read -ra all <<<"$IMAGE_NAMES" && names+=("${all[@]}") ;;
      -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; return 0 ;;
      *) image_tag "$1" >/dev/null || die "unknown image $1 (one of: $IMAGE_NAMES)"; names+=("$1") ;;
    esac
    shift
  done
  [ ${#names[@]} = 0 ] && read -ra names <<<"$IMAGE_NAMES"
  [ "$(id -u)" = 0 ] || die "building images needs root (mmdebstrap --mode=root, chroot)"
  need_tools
  local t0
  t0=$(now)
  for n in "${names[@]}"; do
    if [ $force = 0 ] && built "$n"; then
      log "$(image_ref "$n") is up to date ($(image_archive "$n"))"
    else
      build_image "$n"
    fi
  done
  log "images done in $(secs "$t0")s"
}

main "$@"
