/**
 * Previews the non-compliant program with the podlab policy pack and checks
 * that every policy named its object. Needs the lab toolchain on PATH (pulumi and
 * its Node.js language host, which runs the pack: `eval "$(bash lab/env)"`) and `npm ci` in policy/.
 *
 *   npm --prefix policy run check:noncompliant [-- --policy-pack-config <file.json>]
 *
 * Exits 0 when each expected violation was reported (and none of a policy the
 * config disables), 1 otherwise.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import noncompliant from "./index";
import { NONCOMPLIANT_OBJECTS, describeNoncompliant } from "./objects";

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

/** The `--policy-pack-config` file, if given, and the policies it disables (which must then report nothing). */
interface PackConfig {
    files: string[];
    disabled: Set<string>;
}

/**
 * Reads `--policy-pack-config FILE`. npm runs this script in policy/, so a relative
 * path is taken from where npm was started (INIT_CWD), as the user typed it.
 */
function packConfigArg(): PackConfig {
    const flag = process.argv.indexOf("--policy-pack-config");
    if (flag < 0) {
        return { files: [], disabled: new Set() };
    }
    const given = process.argv[flag + 1];
    if (given === undefined) {
        throw new Error("preview: --policy-pack-config needs a file");
    }
    const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), given);
    if (!fs.existsSync(file)) {
        throw new Error(`preview: no policy pack config at ${file} (--policy-pack-config ${given})`);
    }
    let config: Record<string, any>;
    try {
        config = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new Error(`preview: ${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    const disabled = Object.entries(config)
        .filter(([, v]) => v === "disabled" || v?.enforcementLevel === "disabled")
        .map(([name]) => name);
    return { files: [file], disabled: new Set(disabled) };
}

async function main(): Promise<number> {
    const workDir = dirWith("Pulumi.yaml", __dirname);
    const policyDir = dirWith("PulumiPolicy.yaml", workDir);
    const packConfig = packConfigArg();
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
            policyPackConfigs: packConfig.files,
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

    let wrong = 0;
    console.log("\npolicy check of the non-compliant program:");
    for (const o of NONCOMPLIANT_OBJECTS) {
        const hit = reported.find((r) => r.policy === o.policy && r.message.includes(o.expected));
        const others = reported.filter((r) => r.urn?.endsWith(`::${o.name}`) && r.policy !== o.policy).map((r) => r.policy);
        const off = packConfig.disabled.has(o.policy);
        const [verdict, note] = off ? (hit ? ["WRONG", "reported although the config disables it"] : ["off", "disabled by the config"]) : hit ? ["ok"] : ["MISSING"];
        const notes = [...(note ? [note] : []), ...(others.length ? [`also: ${others.join(", ")}`] : [])];
        console.log(`  ${verdict.padEnd(7)} ${o.policy} [${hit?.level ?? "-"}] on ${describeNoncompliant(o)}${notes.length ? ` (${notes.join("; ")})` : ""}`);
        wrong += off === !hit ? 0 : 1;
    }
    if (wrong > 0 && failure !== undefined) {
        console.error(String(failure));
    }
    if (failure === undefined) {
        console.error("the preview passed although mandatory policies were violated");
        return 1;
    }
    console.log("  the preview failed, as mandatory violations must make it");
    return wrong === 0 ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        const message = e instanceof Error ? e.message : String(e);
        if (message.includes("ENOENT: pulumi")) {
            console.error('preview: no pulumi CLI on PATH; load the lab toolchain first: eval "$(bash lab/env)"');
        } else if (message.startsWith("preview: ")) {
            console.error(message);
        } else {
            console.error(e);
        }
        process.exit(1);
    },
);
