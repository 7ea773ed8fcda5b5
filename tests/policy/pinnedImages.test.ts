import { assertPinnedImage, parseImageRef as programParseImageRef } from "../../components/validation";
import { imagePinProblem, parseImageRef, pinnedImages as policy } from "../../policy/policies/pinnedImages";
import { goodContainer, pod, violations, workload } from "./harness";

const DIGEST = "sha256:" + "a".repeat(64);

/** References both the program's validation and the policy must agree on. */
const REFERENCES = [
    "postgres:17.6",
    "docker.io/library/postgres:17.6-bookworm",
    "localhost:5000/podlab/nginx:1.22.1",
    `registry.example:443/a/b@${DIGEST}`,
    `nginx:1.27@${DIGEST}`,
    "podlab.local/postgres:15-deb12",
    "postgres",
    "localhost:5000/nginx",
    "curlimages/curl:latest",
    "nginx:",
    "nginx@sha256:abc",
    "nginx@",
    "a/b@sha256:00",
    "",
    "nginx 1.27",
];

describe("pinned-images", () => {
    it("passes images pinned to a version tag or a digest", () => {
        const c = goodContainer({ image: "docker.io/library/postgres:17.6-bookworm" });
        const init = goodContainer({ name: "init", image: `busybox@${DIGEST}` });
        expect(violations(policy, pod([c], { initContainers: [init] }))).toEqual([]);
    });

    it.each([
        ["curlimages/curl:latest", "image uses the 'latest' tag"],
        ["postgres", "image is not pinned to a version tag or digest"],
        ["localhost:5000/nginx", "image is not pinned to a version tag or digest"],
        ["nginx@sha256:abc", "image has a malformed digest"],
    ])("refuses %s, naming pod, container and image", (image, problem) => {
        expect(violations(policy, pod([goodContainer({ image })]))).toEqual([`pod lab/web: container web: ${problem} (${JSON.stringify(image)})`]);
    });

    it("refuses a container without an image", () => {
        expect(violations(policy, pod([goodContainer({ image: undefined })]))).toEqual(["pod lab/web: container web: image is not an image reference (unset)"]);
    });

    it("checks a CronJob's init containers", () => {
        const init = goodContainer({ name: "fetch", image: "curlimages/curl" });
        expect(violations(policy, workload("CronJob", [goodContainer()], { initContainers: [init] }))).toEqual([
            'CronJob lab/web (pod template): container fetch: image is not pinned to a version tag or digest ("curlimages/curl")',
        ]);
    });

    it.each(REFERENCES)("agrees with the program's parseImageRef and assertPinnedImage on %j", (ref) => {
        expect(parseImageRef(ref)).toEqual(programParseImageRef(ref));
        let programAccepts = true;
        try {
            assertPinnedImage("k", ref);
        } catch {
            programAccepts = false;
        }
        expect(imagePinProblem(ref) === undefined).toBe(programAccepts);
    });
});
