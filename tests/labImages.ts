/**
 * The lab's images as lab/images/images.sh names them (the one place that
 * does), for the unit tests (Pulumi.lab.yaml must match) and the e2e suites.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const IMAGES_SH = path.join(__dirname, "..", "lab", "images", "images.sh");

function imagesSh(fn: "image_ref" | "image_archive", name: string): string {
    return execFileSync("bash", ["-c", 'source "$1" && "$2" "$3"', "_", IMAGES_SH, fn, name], { encoding: "utf8" }).trim();
}

/** The reference the real node knows an image by, e.g. podlab.local/postgres:15-deb12. */
export function labImageRef(name: string): string {
    return imagesSh("image_ref", name);
}

/** Where lab/images/build.sh caches the image's OCI archive. */
export function labImageArchive(name: string): string {
    return imagesSh("image_archive", name);
}
