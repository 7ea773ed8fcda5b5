/**
 * What an interrupted `pulumi up` leaves behind, with per-step checkpoints and
 * with PULUMI_SKIP_CHECKPOINTS=true: the evidence for that trade-off (docs/benchmarks.md).
 *
 *   lab/with-env node bin/bench/interrupt.js [--count 64] [--after-pods 10]
 *
 * For each mode and each signal (SIGINT as Ctrl-C sends it, SIGKILL as a
 * crash), deploys `count` postgres pods, signals the `pulumi` CLI once
 * `after-pods` pods are Ready, then compares the stack's state with the
 * objects in its namespace. Everything runs in a private backend and
 * `podlab-bench-*` namespaces, removed afterwards. Prints one JSON line per case.
 */
import * as fs from "fs";
import * as path from "path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { deleteNamespace, devStack, forgetStack, privateBackend, requireLoopbackLab } from "./lab";
import { childPids } from "./proc";
import { kubectl } from "../cli/kubectl";
import { runMain } from "../cli/runMain";

function comm(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "";
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
    const count = arg("--count", 64);
    const afterPods = arg("--after-pods", 10);
    await requireLoopbackLab();
    const root = privateBackend();
    try {
        for (const skip of ["false", "true"]) {
            for (const signal of ["SIGINT", "SIGKILL"] as const) {
                const name = `int-${skip === "true" ? "once" : "each"}-${signal === "SIGINT" ? "int" : "kill"}`;
                const namespace = `podlab-bench-${name}`;
                const s = await devStack(root, name, { namespace, count, envVars: { PULUMI_SKIP_CHECKPOINTS: skip } });
                let ready = 0;
                const onEvent = (e: EngineEvent) => {
                    if (e.resOutputsEvent?.metadata.type === "kubernetes:core/v1:Pod") {
                        ready++;
                    }
                };
                const up = s.stack.up({ onEvent }).then(
                    () => "completed before the signal",
                    (e: Error) => e.message.split("\n").find((l) => /received|killed/i.test(l))?.trim() ?? "failed",
                );
                while (ready < afterPods) {
                    await sleep(20);
                }
                const cli = childPids(process.pid).find((p) => comm(p) === "pulumi");
                if (cli === undefined) {
                    throw new Error("no pulumi CLI process found");
                }
                const provider = childPids(cli).find((p) => comm(p).startsWith("pulumi-resource"));
                process.kill(cli, signal);
                const outcome = await up;
                if (signal === "SIGKILL" && provider !== undefined) {
                    try {
                        process.kill(provider, "SIGKILL");
                    } catch {
                        // it exited with its parent
                    }
                }
                await sleep(3000);
                // A killed CLI leaves the stack locked; the lock has to go before the state can be read.
                const locks = path.join(root, "backend", ".pulumi", "locks");
                const lockLeft = fs.existsSync(locks) && fs.readdirSync(locks, { recursive: true }).some((f) => String(f).endsWith(".json"));
                fs.rmSync(locks, { recursive: true, force: true });
                const deployment = (await s.stack.exportStack()).deployment;
                const inState = ((deployment.resources ?? []) as { type: string }[]).filter((r) => r.type.startsWith("kubernetes:core/v1:")).length;
                const listed = (await kubectl(["get", "pods,secrets,configmaps", "-n", namespace, "-o", "name"])).split("\n").filter((l) => l !== "");
                // The namespace itself, plus its objects except the kube-root-ca.crt ConfigMap every namespace gets.
                const inCluster = 1 + listed.filter((l) => l !== "configmap/kube-root-ca.crt").length;
                console.log(
                    JSON.stringify({
                        checkpoints: skip === "true" ? "once (PULUMI_SKIP_CHECKPOINTS=true)" : "every step",
                        signal,
                        podsReadyAtSignal: ready,
                        objectsInCluster: inCluster,
                        objectsInState: inState,
                        pendingOperations: (deployment.pending_operations ?? []).length,
                        lockLeft,
                        outcome,
                    }),
                );
                await deleteNamespace(namespace);
                await forgetStack(s);
            }
        }
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

runMain("bench:interrupt", main);
