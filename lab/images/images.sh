# shellcheck shell=bash disable=SC2034 # sourced: the settings are used by build.sh and lab/node/lib.sh
# The lab's container images: one place for their names, tags and cache paths.
# Sourced by lab/images/build.sh and lab/node/lib.sh. See lab/images/README.md.
#
# There is no image registry: every image is built here from Debian bookworm
# packages and loaded into the real node's containerd. The names live under
# "podlab.local", a name no registry answers for (containerd is configured to
# send any pull for it, or for any other registry, to a closed port on 127.0.0.1).
#
# A tag is the upstream major.minor of the Debian package plus "-deb12": bookworm
# only ever ships security fixes of that series, so the tag stays valid across
# rebuilds; the exact package versions are in each image's labels and in
# <archive>.packages.

PODLAB_IMAGE_PREFIX="${PODLAB_IMAGE_PREFIX:-podlab.local}"
IMAGE_NAMES="pause busybox postgres nginx curl workbench"
IMAGE_CACHE="${PODLAB_CACHE:-$HOME/.cache/podlab}/images"

image_tag() {
  case "$1" in
    pause) echo "catatonit-0.1.7-deb12" ;; # the pod sandbox: catatonit -P
    busybox) echo "1.35-deb12" ;;          # a small shell image for smoke tests
    postgres) echo "15-deb12" ;;
    nginx) echo "1.22-deb12" ;;
    curl) echo "7.88-deb12" ;;
    workbench) echo "1.32-deb12" ;; # kubectl's major.minor (the lab's own build)
    *) return 1 ;;
  esac
}

image_ref() { echo "$PODLAB_IMAGE_PREFIX/$1:$(image_tag "$1")"; }

# The OCI image layout, as a tar, that build.sh writes and the node loads.
image_archive() { echo "$IMAGE_CACHE/$1/$(image_tag "$1").oci.tar"; }

# The workbench image carries the kubectl built with the lab's control plane
# (lab/cluster.sh build), of the release lab/lib/versions.sh pins.
workbench_kubectl() {
  # shellcheck source=../lib/versions.sh
  (source "$(dirname "${BASH_SOURCE[0]}")/../lib/versions.sh" && echo "$PODLAB_K8S_BIN/kubectl")
}
