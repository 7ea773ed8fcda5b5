/**
 * The API server as a learner reaches it: plain HTTPS GETs with the token of
 * their kubeconfig (a course kubeconfig holds one cluster and one token, see
 * credentials.ts). `check` reads with it in-process instead of starting a
 * kubectl per read: on a node busy with a class's pods, a process start is
 * what a read costs. A kubeconfig this cannot follow (a proxy) goes through
 * kubectl instead.
 */
import * as fs from "fs";
import * as https from "https";
import * as yaml from "js-yaml";
import { kubectlRun } from "./kubectl";

/** How a kubeconfig reaches the cluster: taken from the admin's, without its credential. */
export interface ClusterAccess {
    server: string;
    "certificate-authority-data"?: string;
    "insecure-skip-tls-verify"?: boolean;
    "tls-server-name"?: string;
    "proxy-url"?: string;
}


/** An answer of the API server: its HTTP status and body (JSON as text). */
export interface ApiAnswer {
    status: number;
    body: string;
}

export interface LearnerApi {
    /** GET a path of the API (`/api/v1/namespaces/x/pods`). */
    get(path: string): Promise<ApiAnswer>;
}

/** The API server for the credential in `kubeconfigFile`. */
export function learnerApi(kubeconfigFile: string): LearnerApi {
    const cfg = yaml.load(fs.readFileSync(kubeconfigFile, "utf8")) as { clusters?: Array<{ cluster: ClusterAccess }>; users?: Array<{ user: { token?: string } }> };
    const cluster = cfg.clusters?.[0]?.cluster;
    const token = cfg.users?.[0]?.user?.token;
    if (cluster?.server === undefined || token === undefined) {
        throw new Error(`${kubeconfigFile} is not a course kubeconfig (one cluster, one token)`);
    }
    if (cluster["proxy-url"] !== undefined) {
        return { get: (p) => viaKubectl(kubeconfigFile, p) };
    }
    const agent = new https.Agent({
        ca: cluster["certificate-authority-data"] ? Buffer.from(cluster["certificate-authority-data"], "base64") : undefined,
        rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
        servername: cluster["tls-server-name"],
        keepAlive: true,
    });
    return {
        get: (p) =>
            new Promise((resolve, reject) => {
                const req = https.get(new URL(p, cluster.server), { agent, headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }, timeout: 30_000 }, (res) => {
                    let body = "";
                    res.setEncoding("utf8");
                    res.on("data", (d: string) => (body += d));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
                });
                req.on("timeout", () => req.destroy(new Error(`GET ${p}: no answer in 30 s`)));
                req.on("error", reject);
            }),
    };
}

/** The same GET through kubectl (`get --raw`), which speaks every way a kubeconfig can reach a cluster. */
async function viaKubectl(kubeconfig: string, p: string): Promise<ApiAnswer> {
    const r = await kubectlRun(["get", "--raw", p], { kubeconfig });
    if (r.exitCode === 0) {
        return { status: 200, body: r.stdout };
    }
    // kubectl says "Error from server (Forbidden): ..." and exits 1; the status is in its words.
    const status = /\(Forbidden\)/.test(r.stderr) ? 403 : /\(Unauthorized\)|must be logged in/i.test(r.stderr) ? 401 : /\(NotFound\)/.test(r.stderr) ? 404 : 0;
    return { status, body: r.stderr };
}

/** The message of a Status the API server returned, or the body itself. */
export function apiMessage(a: ApiAnswer): string {
    try {
        const s = JSON.parse(a.body) as { kind?: string; message?: string };
        return s.kind === "Status" && s.message ? s.message : a.body.trim();
    } catch {
        return a.body.trim();
    }
}
