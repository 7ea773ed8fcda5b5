/** The Pulumi plugins a course's learners need, installed once before they fan out. */
import * as fs from "fs";
import { LocalWorkspace, Workspace } from "@pulumi/pulumi/automation";
import { PROJECT_NAME, randomProviderIn } from "../automation";
import { randomProviderInstalled, resourcePluginCached } from "../stackUp";
import { CourseContext } from "./environment";

/** The course's own workspace (no stack of its own), for what is asked once for all learners. */
async function courseWorkspace(ctx: CourseContext): Promise<Workspace> {
    fs.mkdirSync(ctx.layout.workDir, { recursive: true, mode: 0o700 });
    return LocalWorkspace.create({ workDir: ctx.layout.workDir, projectSettings: { name: PROJECT_NAME, runtime: "nodejs" }, pulumiCommand: ctx.pulumi });
}

/**
 * Providers are installed once, before learners fan out (concurrent installs
 * into one PULUMI_HOME interfere). Where automatic acquisition is off, as on
 * the lab, they must already be there. Returns whether a random provider is
 * available (then stacks need no generated password).
 */
export async function ensurePlugins(ctx: CourseContext): Promise<{ randomProvider: boolean }> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (pkg: string) => (require(`@pulumi/${pkg}/package.json`) as { version: string }).version;
    // The plugin cache on disk answers the usual case without a `plugin ls` run.
    if (resourcePluginCached("kubernetes", version("kubernetes"))) {
        return { randomProvider: randomProviderInstalled() };
    }
    const ws = await courseWorkspace(ctx);
    const installed = await ws.listPlugins();
    for (const name of ["kubernetes"]) {
        const v = version(name);
        if (installed.some((p) => p.name === name && p.kind === "resource" && p.version === v)) {
            continue;
        }
        if (process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION === "true") {
            throw new Error(`the ${name} resource plugin ${v} is not installed and automatic plugin acquisition is off (on the lab: bash lab/toolchain.sh)`);
        }
        await ws.installPlugin(name, `v${v}`);
    }
    return { randomProvider: randomProviderIn(installed) };
}
