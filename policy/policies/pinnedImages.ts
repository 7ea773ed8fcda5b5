import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/**
 * Splits an image reference into repository, tag and digest.
 *
 * The same logic as `parseImageRef` in components/validation.ts, kept here so
 * the pack stays self-contained when the CLI runs it; a root test runs both
 * over one table of references so they cannot drift apart.
 */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    // A ':' after the last '/' separates the tag; one before it is a registry port.
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
        const tag = rest.slice(colon + 1);
        return { repository: rest.slice(0, colon), tag: tag.length > 0 ? tag : undefined, digest };
    }
    return { repository: rest, digest };
}

/** What is wrong with an image reference, or undefined when it is pinned to a version tag or a sha256 digest. */
export function imagePinProblem(image: unknown): string | undefined {
    if (typeof image !== "string" || image.length === 0 || /\s/.test(image)) {
        return "image is not an image reference";
    }
    const { tag, digest } = parseImageRef(image);
    if (digest !== undefined) {
        return /^sha256:[a-f0-9]{64}$/.test(digest) ? undefined : "image has a malformed digest";
    }
    if (tag === undefined) {
        return "image is not pinned to a version tag or digest";
    }
    if (tag === "latest") {
        return "image uses the 'latest' tag";
    }
    return undefined;
}

/**
 * A lab must come up the same way every time: every image, init containers
 * included, is pinned to a version tag or a digest. `latest` and a missing tag
 * (which means `latest`) are refused.
 */
export const pinnedImages: ResourceValidationPolicy = {
    name: "pinned-images",
    description: "Every container image is pinned to a version tag or a digest: no 'latest', no missing tag.",
    // Mandatory: an unpinned image changes under the learners between two runs of the same lab.
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            for (const c of pod.containers) {
                const problem = imagePinProblem(c.spec.image);
                if (problem !== undefined) {
                    reportViolation(`${c.where}: ${problem} (${show(c.spec.image)})`);
                }
            }
        }
    },
};
