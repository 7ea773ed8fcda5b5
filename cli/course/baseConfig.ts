/** The config every learner of a course starts from, before the roster's own. */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../automation";
import { deepMerge } from "./roster";

/**
 * What learners start from: the lab stack's config on the lab, the defaults on
 * another cluster; and where the environment says how pods reach the API server
 * (lab/env's PODLAB_API_SERVER_FROM_PODS on the lab: its port may change), the
 * network fence's allowance and the workbench's kubeconfig point there.
 */
export function baseConfig(): Record<string, unknown> {
    const apiServer = process.env.PODLAB_API_SERVER_FROM_PODS ? { network: { apiServer: { url: process.env.PODLAB_API_SERVER_FROM_PODS } } } : {};
    if (process.env.PODLAB_KUBECONFIG) {
        return apiServer;
    }
    const lab = yaml.load(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.lab.yaml"), "utf8")) as { config?: Record<string, unknown> };
    const base = Object.fromEntries(
        Object.entries(lab.config ?? {})
            .filter(([k]) => k.startsWith("podlab:"))
            .map(([k, v]) => [k.slice("podlab:".length), v]),
    );
    return deepMerge(base, apiServer);
}
