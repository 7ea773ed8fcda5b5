/**
 * Figures measured by hand, which no file of the repository records (the
 * benchmarks' figures live in bench/results/*.json, the test counts in the
 * test files): the one place the docs quote them from, through the
 * `measured NAME` generated blocks. A new measurement replaces its row here,
 * then `npm run docs`; say how and on what it was measured in `source`.
 */

export interface MeasuredTable {
    /** How, where and under what load the figures were taken. */
    source: string;
    header: string[];
    rows: string[][];
}

const TWO_CORES = "the 2-core, 24 GiB Debian 12 VM";

export const MEASURED: Record<string, MeasuredTable> = {
    ci: {
        source:
            `\`CI=true bash .ci/run\` on ${TWO_CORES}. Cold (2026-12-05, main at fba10f6): a fresh clone, HOME an empty directory (no podlab cache, no Go module or build cache, no npm cache; Debian's packages already installed), nothing else running. ` +
            "Warm (2026-12-05, the CI run of main at 86f71d3): the caches of an earlier run present. The build's time varies most between runs and machines: the same cold build took 73 min on this VM under load (2026-12-04).",
        header: ["run", "step", "wall time"],
        rows: [
            ["cold", "fetch the pinned Node.js, `npm ci`", "23 s"],
            ["cold", "`npm test` twice (the machine's own Node.js 24, then its own PATH)", "85 s"],
            ["cold", "`lab/build.sh`: the toolchain beside the lab's parts and images", "2323 s"],
            ["cold", "the end-to-end suites on the real node (13 suites, 141 tests)", "1564 s"],
            ["cold", "the end-to-end suites on KWOK (6 suites)", "259 s"],
            ["cold", "**all of `.ci/run`**", "**4277 s (71 min)**"],
            ["warm", "**all of `.ci/run`**", "**1653 s (28 min)**"],
        ],
    },
    builds: {
        source: `\`/usr/bin/time\`, \`CGO_ENABLED=0 -trimpath\`, on ${TWO_CORES} while other builds and labs shared the cores (load average 3-17): expect less on an idle machine.`,
        header: ["part", "cold (empty Go build cache, modules downloaded)", "warm (build cache)", "peak RSS"],
        rows: [
            ["Pulumi CLI 3.276.0", "13 min 42 s", "22 s (link only)", "1.9 GB"],
            ["Kubernetes provider 4.25.0", "12-20 min", "40 s (link only)", "4.2 GB"],
            ["Node.js language host 3.68.0", "75 s", "3 s", "0.3 GB"],
            ["podlab's language host front", "49 s (under 1 s after the CLI)", "2 s", "0.3 GB"],
            ["kube-apiserver, controller-manager, scheduler, kubectl, kubelet", "23 min together", "55 s together", "1.7 GB"],
            ["kwok v0.7.0", "5 min", "7 s", "1.0 GB"],
            ["kube-router v2.1.0", "3 min 52 s", "4.4 s", "0.9 GB"],
            ["crictl v1.34.0", "", "3.5 s", ""],
            ["the lab's six images (from Debian packages; no Go)", "88-204 s together, without a .deb cache", "0 s (cached by recipe)", ""],
            ["`lab/toolchain.sh` with everything built", "", "2.4 s", ""],
        ],
    },
    "lab-start": {
        source: `\`bash lab/cluster.sh up\` / \`down\` on ${TWO_CORES}, load average 3.7-4.5.`,
        header: ["lab", "what", "time"],
        rows: [
            ["real node", "`up` cold (no state: PKI, etcd, first image import)", "31 s, of which 21 s importing images"],
            ["real node", "`up` warm (after `down`, images in containerd)", "8-10 s"],
            ["real node", "node Ready after the kubelet starts", "0.9-1.5 s"],
            ["real node", "kube-router, start to first policy sync", "0.4-0.6 s"],
            ["real node", "`down` with 4 pods running; `down --purge`", "3.4 s; 8 s"],
            ["KWOK", "`up` cold; warm; while already up", "11-12.6 s; 6-8 s; 1.4-1.8 s"],
            ["KWOK", "`down`", "1.6 s"],
        ],
    },
    "lab-memory": {
        source: "RSS of each process of an idle lab (`ps`), and kube-router during the NetworkPolicy suite.",
        header: ["process", "RSS"],
        rows: [
            ["kube-apiserver", "260 MB"],
            ["kube-controller-manager", "100 MB"],
            ["kube-scheduler", "60 MB"],
            ["kwok (KWOK lab)", "55 MB"],
            ["etcd", "40 MB"],
            ["kube-router (real node)", "51 MiB idle, 55 MiB at most"],
        ],
    },
    images: {
        source: `\`bash lab/images/build.sh\` on ${TWO_CORES} (2 shared cores); sizes from \`build.sh list\`.`,
        header: ["image", "gzip", "unpacked", "build, no .deb cache", "build, cached .debs"],
        rows: [
            ["pause", "1 MiB", "1 MiB", "2 s", "0 s"],
            ["busybox", "2 MiB", "2 MiB", "2 s", "1 s"],
            ["postgres", "131 MiB", "351 MiB", "80 s", "68-83 s"],
            ["nginx", "26 MiB", "65 MiB", "46 s", "44-57 s"],
            ["curl", "28 MiB", "69 MiB", "67 s", "37-53 s"],
            ["workbench", "48 MiB", "130 MiB", "66 s", "100-156 s"],
        ],
    },
    "networkpolicy-timing": {
        source:
            "tests/e2e/networkpolicy.e2e.ts prints these on every run: a loop in a pod's sidecar container opens a new connection about every 50 ms, so they are good to about 60 ms (a blocked probe waits out a 0.5 s connect timeout).",
        header: ["change", "shows after"],
        rows: [
            ["apply a policy: new connections time out", "0.6-0.7 s"],
            ["delete a policy: connections accepted again", "0.1-0.2 s (0.7 s with blocked probes waiting out their timeout)"],
        ],
    },
    "interrupted-update": {
        source:
            "`bench/interrupt.ts` (`lab/with-env node bin/bench/interrupt.js`, KWOK lab): a 64-pod `up` interrupted once 10 pods were Ready, then `pulumi stack export` compared with the namespace's objects (`kube-root-ca.crt` left out).",
        header: ["checkpoints", "signal to `pulumi`", "objects in the cluster", "in the state", "pending operations", "lock left"],
        rows: [
            ["every step (the default)", "SIGINT (Ctrl-C)", "77", "77", "0", "no"],
            ["every step (the default)", "SIGKILL", "77", "70", "7", "yes"],
            ["once (`PULUMI_SKIP_CHECKPOINTS=true`)", "SIGINT (Ctrl-C)", "83", "83", "0", "no"],
            ["once (`PULUMI_SKIP_CHECKPOINTS=true`)", "SIGKILL", "90", "**0**", "0", "yes"],
        ],
    },
    "e2e-durations": {
        source: `jest's per-file times in the cold \`.ci/run\` above (\`npm run e2e\`, then \`npm run e2e:kwok\`) on ${TWO_CORES}, 2026-12-05; KWOK skips the suites that need real containers and packets.`,
        header: ["suite", "real node", "KWOK"],
        rows: [
            ["course.e2e.ts", "388 s", "(not run)"],
            ["networkpolicy.e2e.ts", "210 s", "(not run)"],
            ["postgres-backend.e2e.ts", "183 s", "(not run)"],
            ["lesson.e2e.ts", "151 s", "(not run)"],
            ["workspace.e2e.ts", "130 s", "(not run)"],
            ["lifecycle.e2e.ts", "102 s", "61 s"],
            ["fences.e2e.ts", "93 s", "60 s"],
            ["realnode.e2e.ts", "89 s", "(not run)"],
            ["pulumi-cli.e2e.ts", "57 s", "41 s"],
            ["offlab.e2e.ts", "54 s", "45 s"],
            ["nodefences.e2e.ts", "43 s", "(not run)"],
            ["policy.e2e.ts", "16 s", "16 s"],
            ["toolchain.e2e.ts", "8 s", "9 s"],
            ["all suites", "1564 s (26 min)", "259 s (4 min)"],
        ],
    },
};

/** The table of one measured group, with its source; throws naming an unknown group. */
export function measuredTable(name: string | undefined, table: (header: string[], rows: string[][]) => string): string {
    const m = name === undefined ? undefined : MEASURED[name];
    if (m === undefined) {
        throw new Error(`no measured figures named ${JSON.stringify(name)} in docs/measured.ts (known: ${Object.keys(MEASURED).join(", ")})`);
    }
    return `${table(m.header, m.rows)}\nMeasured: ${m.source}\n`;
}
