/**
 * The policy pack through the real CLI: podlab's dev stack passes every
 * policy, and a deliberately non-compliant program fails, naming each violation.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "../../cli/automation";
import { privateBackend, requireLab, scratchStack } from "./lab";

const POLICY_DIR = path.join(PROJECT_DIR, "policy");

beforeAll(() => {
    requireLab();
    privateBackend();
});

describe("policy pack with the real CLI", () => {
    it("pulumi preview --policy-pack policy passes on the dev stack, without a single violation", async () => {
        const dev = await scratchStack(privateBackend(), "dev", "Pulumi.dev.yaml");
        await dev.setConfig("podlab:namespace", { value: "podlab-e2e-policy" });
        const violations: string[] = [];
        const result = await dev.preview({
            policyPacks: [POLICY_DIR],
            onEvent: (e) => {
                if (e.policyEvent) {
                    violations.push(`${e.policyEvent.policyName}: ${e.policyEvent.message}`);
                }
            },
        });
        expect(violations).toEqual([]);
        expect(result.stdout).toContain("Policies:");
        expect(result.stdout).toMatch(/podlab@v?0\.1\.0/);
    });

    it("a non-compliant program fails the preview, and each policy names its object", () => {
        const run = spawnSync("npm", ["--prefix", POLICY_DIR, "run", "--silent", "check:noncompliant"], { encoding: "utf8" });
        const output = `${run.stdout}${run.stderr}`;
        expect(output).toContain("the preview failed, as mandatory violations must make it");
        for (const [policy, object] of [
            ["pinned-images", "pod latest-image"],
            ["no-host-ports-or-host-network", "pod host-port"],
            ["no-duplicate-container-ports", "pod duplicate-ports"],
            ["restricted-pod-security", "pod root-user"],
            ["container-resources", "pod no-resources"],
            ["readiness-probes", "pod no-readiness"],
            ["no-literal-secret-env", "pod literal-password"],
            ["project-labels", "pod no-labels"],
            ["emptydir-size-limit", "pod unbounded-scratch"],
            ["least-privilege-rbac", "Role namespace-editor"],
            ["fenced-namespaces", "Namespace podlab-unfenced"],
            ["no-priority-class", "pod critical-priority"],
            ["no-probe-host", "pod probe-host"],
            ["no-finalizers", "pod held"],
            ["default-service-account", "pod other-account"],
            ["no-service-account-token", "pod mounted-token"],
            ["volume-kinds", "pod claim-volume"],
            ["no-node-choice", "pod on-control-plane"],
            ["no-cross-namespace-affinity", "pod crowding-out"],
            ["bounded-grace-period", "pod slow-to-go"],
            ["cluster-dns-only", "pod own-resolver"],
            ["no-host-aliases", "pod aliased"],
            ["linux-pods", "pod not-linux"],
        ]) {
            expect(output).toMatch(new RegExp(`ok +${policy} \\[\\w+\\] on ${object}`));
        }
        expect(run.status).toBe(0);
    });
});
