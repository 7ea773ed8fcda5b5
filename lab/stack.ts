/**
 * podlab's deploy command: `pulumi up` (and friends) for one stack, through
 * the Automation API (see lab/automation.ts for why).
 *
 *   node bin/lab/stack.js <up|preview|refresh|destroy|outputs> [--stack NAME] [--workdir DIR] [--policy-pack DIR [--policy-pack-config FILE]] [--expect-no-changes]
 *
 * The environment comes from `eval "$(bash lab/env)"` (lab/with-env does that).
 * Without --stack (or PODLAB_STACK) it deploys the lab stack (Pulumi.lab.yaml,
 * the lab's own images) to the lab, and the dev stack (Pulumi.dev.yaml, the
 * public images) when PODLAB_KUBECONFIG points at another cluster.
 */
import * as path from "path";
import { OutputMap } from "@pulumi/pulumi/automation";
import { ensurePassword, openStack } from "./automation";

const USAGE = "usage: stack <up|preview|refresh|destroy|outputs> [--stack NAME] [--workdir DIR] [--policy-pack DIR [--policy-pack-config FILE]] [--expect-no-changes]";

interface Options {
    command: string;
    /** Default: "lab" on the lab, "dev" with PODLAB_KUBECONFIG (a real cluster, public images). */
    stack: string;
    /** Directory with Pulumi.yaml and the stack's config file. Default: the repository. */
    workDir?: string;
    policyPacks: string[];
    policyPackConfigs: string[];
    expectNoChanges: boolean;
}

function parseArgs(argv: string[]): Options {
    const opts: Options = { command: "", stack: process.env.PODLAB_STACK ?? (process.env.PODLAB_KUBECONFIG ? "dev" : "lab"), policyPacks: [], policyPackConfigs: [], expectNoChanges: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" && argv[i + 1]) {
            opts.stack = argv[++i];
        } else if (a === "--workdir" && argv[i + 1]) {
            opts.workDir = path.resolve(argv[++i]);
        } else if (a === "--policy-pack" && argv[i + 1]) {
            opts.policyPacks.push(path.resolve(argv[++i]));
        } else if (a === "--policy-pack-config" && argv[i + 1]) {
            opts.policyPackConfigs.push(path.resolve(argv[++i]));
        } else if (a === "--expect-no-changes") {
            opts.expectNoChanges = true;
        } else if (!a.startsWith("-") && opts.command === "") {
            opts.command = a;
        } else {
            throw new Error(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
        }
    }
    if (!["up", "preview", "refresh", "destroy", "outputs"].includes(opts.command)) {
        throw new Error(USAGE);
    }
    return opts;
}

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    const stack = await openStack(opts.stack, opts.workDir);
    const onOutput = (s: string) => process.stdout.write(s);
    // `up` returns the outputs it already read; the other commands need a separate `stack output` (two CLI runs).
    let outputs: OutputMap | undefined;
    switch (opts.command) {
        case "up": {
            const password = await ensurePassword(stack);
            if (password === "generated") {
                console.log(`podlab: no random provider here, so stack ${opts.stack} got a generated postgres password (secret config podlab:postgresPassword)`);
            }
            outputs = (await stack.up({ onOutput, policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs })).outputs;
            break;
        }
        case "preview":
            await ensurePassword(stack);
            await stack.preview({ onOutput, policyPacks: opts.policyPacks, policyPackConfigs: opts.policyPackConfigs, expectNoChanges: opts.expectNoChanges });
            break;
        case "refresh":
            await stack.refresh({ onOutput, expectNoChanges: opts.expectNoChanges });
            break;
        case "destroy":
            await stack.destroy({ onOutput });
            break;
    }
    if (opts.command !== "destroy") {
        outputs ??= await stack.outputs();
        const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
        console.log(JSON.stringify(plain, null, 2));
    }
}

main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
});
