/**
 * Previews the non-compliant program with the podlab policy pack and checks
 * that every policy named its pod. Needs the lab toolchain on PATH (pulumi and
 * its Node.js language host, which runs the pack: `eval "$(bash lab/env)"`) and `npm ci` in policy/.
 *
 *   npm --prefix policy run check:noncompliant [-- --policy-pack-config <file.json>]
 *
 * Exits 0 when each expected violation was reported, 1 otherwise.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import noncompliant from "./index";
import { NONCOMPLIANT_PODS } from "./pods";

/** The nearest directory at or above `from` holding `file`. */
function dirWith(file: string, from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, file))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no ${file} at or above ${from}`);
        }
    }
}

async function main(): Promise<number> {
    const workDir = dirWith("Pulumi.yaml", __dirname);
    const policyDir = dirWith("PulumiPolicy.yaml", workDir);
    const configFlag = process.argv.indexOf("--policy-pack-config");
    const policyPackConfigs = configFlag >= 0 ? [path.resolve(process.argv[configFlag + 1])] : [];
    const renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-noncompliant-"));

    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "noncompliant", projectName: "podlab-noncompliant", program: async () => noncompliant(renderDir) },
        { workDir },
    );
    const reported: { policy: string; level: string; message: string; urn?: string }[] = [];
    let failure: unknown;
    try {
        await stack.preview({
            policyPacks: [policyDir],
            policyPackConfigs,
            onOutput: (out) => process.stdout.write(out),
            onEvent: (e) => {
                if (e.policyEvent) {
                    const p = e.policyEvent;
                    reported.push({ policy: p.policyName, level: p.enforcementLevel, message: p.message, urn: p.resourceUrn });
                }
            },
        });
    } catch (e) {
        // Mandatory violations fail the preview; that is the expected outcome.
        failure = e;
    } finally {
        fs.rmSync(renderDir, { recursive: true, force: true });
    }

    let missing = 0;
    console.log("\npolicy check of the non-compliant program:");
    for (const pod of NONCOMPLIANT_PODS) {
        const hit = reported.find((r) => r.policy === pod.policy && r.message.includes(pod.expected));
        const others = reported.filter((r) => r.urn?.endsWith(`::${pod.name}`) && r.policy !== pod.policy).map((r) => r.policy);
        console.log(`  ${hit ? "ok     " : "MISSING"} ${pod.policy} [${hit?.level ?? "-"}] on pod ${pod.name}${others.length ? ` (also: ${others.join(", ")})` : ""}`);
        missing += hit ? 0 : 1;
    }
    if (missing > 0 && failure !== undefined) {
        console.error(String(failure));
    }
    if (failure === undefined) {
        console.error("the preview passed although mandatory policies were violated");
        return 1;
    }
    console.log("  the preview failed, as mandatory violations must make it");
    return missing === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        const message = e instanceof Error ? e.message : String(e);
        if (message.includes("ENOENT: pulumi")) {
            console.error('preview: no pulumi CLI on PATH; load the lab toolchain first: eval "$(bash lab/env)"');
        } else {
            console.error(e);
        }
        process.exit(1);
    },
);
