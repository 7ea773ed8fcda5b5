import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import {
    DEFAULT_FENCE,
    MAX_POSTGRES_COUNT,
    POSTGRES_CONFIG_DEFAULTS,
    QUOTA_CONFIG_DEFAULTS,
    WORKBENCH_CONFIG_DEFAULTS,
    DEFAULT_MODE,
    defaultNamespace,
    postgresPodNames,
    resolveStackConfig,
} from "../../components/stackConfig";
import { SIDECAR_DEFAULTS } from "../../components/sidecarPod";
import { NETWORK_CONFIG_DEFAULTS } from "../../components/networkConfig";
import { PodlabConfigError } from "../../components/validation";
import { labImageRef } from "../labImages";
import { NETWORK_WITH_API_SERVER } from "../apiServer";

const ctx = { project: "podlab", stack: "dev" };

function stackConfigFile(stack: string): Record<string, unknown> {
    const file = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return file.config;
}

function devStackConfig(): Record<string, unknown> {
    return stackConfigFile("dev");
}

describe("defaults", () => {
    it("Pulumi.dev.yaml writes down exactly the defaults the code uses", () => {
        const dev = devStackConfig();
        expect(dev["podlab:postgres"]).toEqual(POSTGRES_CONFIG_DEFAULTS);
        expect(dev["podlab:sidecar"]).toEqual(SIDECAR_DEFAULTS);
        expect(dev["podlab:quota"]).toEqual(QUOTA_CONFIG_DEFAULTS);
        expect(dev["podlab:workbench"]).toEqual(WORKBENCH_CONFIG_DEFAULTS);
        expect(dev["podlab:mode"]).toBe(DEFAULT_MODE);
        expect(dev["podlab:network"]).toEqual(NETWORK_CONFIG_DEFAULTS);
        expect(dev["podlab:namespace"]).toBe(defaultNamespace("podlab", "dev"));
        expect(dev["podlab:fence"]).toBe(DEFAULT_FENCE);
        // A deployed dev stack may also hold its secret podlab:postgresPassword (see README); nothing else.
        expect(Object.keys(dev).filter((k) => k !== "podlab:postgresPassword").sort()).toEqual([
            "podlab:fence",
            "podlab:mode",
            "podlab:namespace",
            "podlab:network",
            "podlab:postgres",
            "podlab:quota",
            "podlab:sidecar",
            "podlab:workbench",
        ]);
    });

    it("Pulumi.lab.yaml swaps the images for the lab's locally built ones, and says the lab has no cluster DNS", () => {
        const lab = stackConfigFile("lab");
        expect(Object.keys(lab).sort()).toEqual(["podlab:network", "podlab:postgres", "podlab:sidecar", "podlab:workbench"]);
        const c = resolveStackConfig({ network: lab["podlab:network"], postgres: lab["podlab:postgres"], sidecar: lab["podlab:sidecar"], workbench: lab["podlab:workbench"] }, { project: "podlab", stack: "lab" });
        expect(c.network).toEqual({ dns: undefined, apiServer: undefined });
        expect(c.namespace).toBe("podlab-lab");
        expect(c.postgres.image).toBe("podlab.local/postgres:15-deb12");
        expect(c.sidecar.nginxImage).toBe("podlab.local/nginx:1.22-deb12");
        expect(c.sidecar.curlImage).toBe("podlab.local/curl:7.88-deb12");
        expect(c.workbench.image).toBe("podlab.local/workbench:1.32-deb12");
        // The names lab/images/images.sh builds and the real node loads.
        expect([c.postgres.image, c.sidecar.nginxImage, c.sidecar.curlImage, c.workbench.image]).toEqual([labImageRef("postgres"), labImageRef("nginx"), labImageRef("curl"), labImageRef("workbench")]);
        const defaults = resolveStackConfig({}, { project: "podlab", stack: "lab" });
        expect({ ...c, postgres: { ...c.postgres, image: "" }, sidecar: { ...c.sidecar, nginxImage: "", curlImage: "" }, workbench: { ...c.workbench, image: "" } }).toEqual({
            ...defaults,
            network: c.network,
            postgres: { ...defaults.postgres, image: "" },
            sidecar: { ...defaults.sidecar, nginxImage: "", curlImage: "" },
            workbench: { ...defaults.workbench, image: "" },
        });
    });

    it("gives the course's two postgres pods and a sidecar pod", () => {
        const c = resolveStackConfig({}, ctx);
        expect(c.namespace).toBe("podlab-dev");
        expect(c.postgres.names).toEqual(["postgres", "postgres2"]);
        expect(c.postgres.port).toBe(5432);
        expect(c.sidecar.name).toBe("sidecar");
        expect(c.sidecar.sidecarPort).toBeUndefined();
    });

    it("derives one namespace per stack", () => {
        expect(defaultNamespace("podlab", "alice")).toBe("podlab-alice");
        expect(defaultNamespace("podlab", "Course_2026.Run1")).toBe("podlab-course-2026-run1");
        expect(defaultNamespace("podlab", "x".repeat(80))).toHaveLength(63);
    });

    it("names postgres pods as the course does", () => {
        expect(postgresPodNames("postgres", 3)).toEqual(["postgres", "postgres2", "postgres3"]);
    });
});

describe("invalid config is refused with the key and the value", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
        ["namespace not a label", { namespace: "Podlab_Dev" }, 'podlab:namespace must be an RFC 1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); got "Podlab_Dev"'],
        ["pod name not a label", { postgres: { baseName: "pg.db" } }, 'podlab:postgres.baseName must be an RFC 1123 label'],
        ["sidecar name not a label", { sidecar: { name: "Sidecar" } }, 'podlab:sidecar.name must be an RFC 1123 label (lower-case letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); got "Sidecar"'],
        ["postgres port 0", { postgres: { port: 0 } }, "podlab:postgres.port must be an integer port in 1-65535; got 0"],
        ["nginx port too large", { sidecar: { nginxPort: 70000 } }, "podlab:sidecar.nginxPort must be an integer port in 1-65535; got 70000"],
        ["count 0", { postgres: { count: 0 } }, `podlab:postgres.count must be an integer in 1-${MAX_POSTGRES_COUNT}; got 0`],
        ["count absurd", { postgres: { count: 5000 } }, `podlab:postgres.count must be an integer in 1-${MAX_POSTGRES_COUNT}; got 5000`],
        ["count not integer", { postgres: { count: 2.5 } }, "podlab:postgres.count must be an integer in 1-100; got 2.5"],
        ["duplicate pod names", { sidecar: { name: "postgres2" } }, 'duplicate pod name "postgres2": podlab:postgres pod #2 and podlab:sidecar.name'],
        ["duplicate with base name", { postgres: { count: 1, baseName: "web" }, sidecar: { name: "web" } }, 'duplicate pod name "web": podlab:postgres.baseName and podlab:sidecar.name'],
        ["image without tag", { postgres: { image: "postgres" } }, 'podlab:postgres.image must be pinned to a version tag or digest; got "postgres"'],
        ["image latest", { sidecar: { nginxImage: "nginx:latest" } }, `podlab:sidecar.nginxImage must not use the 'latest' tag; got "nginx:latest"`],
        ["curl image without tag", { sidecar: { curlImage: "localhost:5000/curl" } }, 'podlab:sidecar.curlImage must be pinned to a version tag or digest; got "localhost:5000/curl"'],
        ["two containers on one port", { sidecar: { nginxPort: 8080, sidecarPort: 8080 } }, "podlab:sidecar.sidecarPort 8080 is also podlab:sidecar.nginxPort: the nginx and sidecar containers share one network namespace"],
        ["misspelt key", { postgres: { imgae: "postgres:17" } }, "podlab:postgres.imgae is not a podlab setting"],
        ["not an object", { sidecar: "nginx" }, 'podlab:sidecar must be an object; got "nginx"'],
        ["bad cpu", { postgres: { resources: { requests: { cpu: "lots", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } } } }, 'podlab:postgres.resources.requests.cpu must be a positive cpu quantity such as "250m" or "0.5"; got "lots"'],
        ["request over limit", { postgres: { resources: { requests: { cpu: "2", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } } } }, "podlab:postgres.resources.requests.cpu 2 exceeds podlab:postgres.resources.limits.cpu 1"],
        ["memory request over limit", { sidecar: { resources: { curl: { requests: { cpu: "1m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Mi" } } } } }, "podlab:sidecar.resources.curl.requests.memory 1Gi exceeds podlab:sidecar.resources.curl.limits.memory 1Mi"],
        ["root uid", { postgres: { runAsUser: 0 } }, "podlab:postgres.runAsUser must be a positive integer (non-root) id; got 0"],
        ["interval", { sidecar: { fetchIntervalSeconds: 0 } }, "podlab:sidecar.fetchIntervalSeconds must be an integer in 1-3600; got 0"],
        ["bad ephemeral storage", { postgres: { resources: { limits: { "ephemeral-storage": "lots" } } } }, 'podlab:postgres.resources.limits.ephemeral-storage must be a positive memory quantity such as "128Mi"; got "lots"'],
        ["ephemeral request over the default limit", { postgres: { resources: { requests: { "ephemeral-storage": "2Gi" } } } }, "podlab:postgres.resources.requests.ephemeral-storage 2Gi exceeds podlab:postgres.resources.limits.ephemeral-storage 1Gi"],
        ["misspelt resource", { postgres: { resources: { limits: { ephemeralStorage: "1Gi" } } } }, "podlab:postgres.resources.limits.ephemeralStorage is not a podlab setting (known: cpu, memory, ephemeral-storage)"],
        ["quota extra pods", { quota: { extraPods: 21 } }, "podlab:quota.extraPods must be an integer in 0-20; got 21"],
        ["misspelt quota key", { quota: { pods: 3 } }, "podlab:quota.pods is not a podlab setting (known: extraPods)"],
        ["label name", { labels: { "bad name": "x" } }, 'podlab:labels: "bad name" is not a valid label name'],
        ["label value", { labels: { "podlab.dev/course": "not ok!" } }, 'podlab:labels.podlab.dev/course must be a label value (at most 63 letters, digits, \'-\', \'_\' or \'.\'); got "not ok!"'],
        ["reserved label", { labels: { "app.kubernetes.io/part-of": "other" } }, 'podlab:labels: label "app.kubernetes.io/part-of" is under app.kubernetes.io/, which podlab sets itself'],
        ["reserved pod security label", { labels: { "pod-security.kubernetes.io/enforce": "privileged" } }, "which podlab sets itself"],
        ["labels not a map", { labels: ["a"] }, 'podlab:labels must be a map of label names to values; got ["a"]'],
        ["unknown mode", { mode: "workshop" }, 'podlab:mode must be one of environment, exercise; got "workshop"'],
        ["exercise without a workbench", { mode: "exercise" }, "podlab:mode exercise needs podlab:workbench.enabled true: the learner makes the lesson's pods from the workbench"],
        ["workbench without the API server's address", { workbench: { enabled: true, apiServer: "https://10.245.0.1:6443" } }, "podlab:workbench.enabled true needs podlab:network.apiServer.url, the API server's https URL as pods reach it"],
        ["workbench enabled not a boolean", { workbench: { enabled: "yes" } }, 'podlab:workbench.enabled must be true or false; got "yes"'],
        ["workbench image latest", { workbench: { image: "alpine/k8s:latest" } }, "podlab:workbench.image must not use the 'latest' tag"],
        ["workbench as root", { workbench: { runAsUser: 0 } }, "podlab:workbench.runAsUser must be a positive integer (non-root) id; got 0"],
        ["workbench memory request over limit", { workbench: { resources: { requests: { memory: "1Gi" } } } }, "podlab:workbench.resources.requests.memory 1Gi exceeds podlab:workbench.resources.limits.memory 256Mi"],
        ["workbench misspelt key", { workbench: { apiserver: "https://10.0.0.1" } }, "podlab:workbench.apiserver is not a podlab setting (known: enabled, image, runAsUser, resources, apiServer)"],
        ["api server over http", { workbench: { apiServer: "http://10.245.0.1:6443" } }, 'podlab:workbench.apiServer must be the API server\'s https URL as pods reach it, such as https://10.245.0.1:6443; got "http://10.245.0.1:6443"'],
        ["api server with a path", { workbench: { apiServer: "https://10.245.0.1:6443/api" } }, "podlab:workbench.apiServer must be the API server's https URL"],
        ["api server not a URL", { workbench: { apiServer: "10.245.0.1:6443" } }, "podlab:workbench.apiServer must be the API server's https URL"],
        ["misspelt network key", { network: { DNS: "none" } }, "podlab:network.DNS is not a podlab setting (known: dns, apiServer)"],
        ["dns without labels", { network: { dns: { namespace: "kube-system" } } }, "podlab:network.dns.podLabels must name at least one label of the DNS pods (or set podlab:network.dns: none)"],
        ["dns namespace", { network: { dns: { namespace: "Kube_System", podLabels: { "k8s-app": "kube-dns" } } } }, 'podlab:network.dns.namespace must be an RFC 1123 label'],
        ["dns neither none nor a map", { network: { dns: "off" } }, 'podlab:network.dns must be an object; got "off"'],
        ["api server over http", { network: { apiServer: { url: "http://10.0.0.1:6443" } } }, 'podlab:network.apiServer.url must be an https:// URL; got "http://10.0.0.1:6443"'],
        ["api server by name without addresses", { network: { apiServer: { url: "https://kubernetes.default.svc" } } }, "podlab:network.apiServer.addresses must list the API server's endpoint addresses (the URL's host \"kubernetes.default.svc\" is a name, not an address)"],
        ["api server address", { network: { apiServer: { url: "https://kubernetes.default.svc", addresses: ["10.0.0.300"] } } }, 'podlab:network.apiServer.addresses: "10.0.0.300" is not an IPv4 or IPv6 address'],
    ];
    it.each(cases)("%s", (_label, raw, message) => {
        expect(() => resolveStackConfig(raw, ctx)).toThrow(PodlabConfigError);
        expect(() => resolveStackConfig(raw, ctx)).toThrow(message);
    });
});

describe("valid overrides", () => {
    it("takes a count, ports and images from config", () => {
        const c = resolveStackConfig(
            { postgres: { count: 4, port: 6543, image: "podlab.local/postgres:15-deb12" }, sidecar: { nginxPort: 9090, sidecarPort: 9100 } },
            ctx,
        );
        expect(c.postgres.names).toEqual(["postgres", "postgres2", "postgres3", "postgres4"]);
        expect(c.postgres.port).toBe(6543);
        expect(c.postgres.image).toBe("podlab.local/postgres:15-deb12");
        expect(c.sidecar.nginxPort).toBe(9090);
        expect(c.sidecar.sidecarPort).toBe(9100);
    });

    it("takes each resource amount it is given and the default for the rest", () => {
        const c = resolveStackConfig({ postgres: { resources: { requests: { cpu: "50m" }, limits: { "ephemeral-storage": "2Gi" } } } }, ctx);
        expect(c.postgres.resources).toEqual({
            requests: { ...POSTGRES_CONFIG_DEFAULTS.resources.requests, cpu: "50m" },
            limits: { ...POSTGRES_CONFIG_DEFAULTS.resources.limits, "ephemeral-storage": "2Gi" },
        });
    });

    it("takes the cluster's DNS and how pods reach the API server; the conventional kube-dns by default", () => {
        expect(resolveStackConfig({}, ctx).network).toEqual({ dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } }, apiServer: undefined });
        expect(resolveStackConfig({ network: { dns: "none" } }, ctx).network.dns).toBeUndefined();
        const coredns = { namespace: "dns", podLabels: { "app.kubernetes.io/name": "coredns" } };
        expect(resolveStackConfig({ network: { dns: coredns } }, ctx).network.dns).toEqual(coredns);
        // An IP in the URL is the endpoint too; a dual-stack API server lists both families.
        expect(resolveStackConfig({ network: { apiServer: { url: "https://10.245.0.1:6444" } } }, ctx).network.apiServer).toEqual({ url: "https://10.245.0.1:6444", addresses: ["10.245.0.1"], port: 6444 });
        expect(resolveStackConfig({ network: { apiServer: { url: "https://[fd00::1]" } } }, ctx).network.apiServer).toEqual({ url: "https://[fd00::1]", addresses: ["fd00::1"], port: 443 });
        const viaService = { url: "https://kubernetes.default.svc", addresses: ["192.0.2.10", "2001:db8::10"], port: 6443 };
        expect(resolveStackConfig({ network: { apiServer: viaService } }, ctx).network.apiServer).toEqual(viaService);
    });

    it("takes the mode and the workbench: off by default, on for an exercise, with the API server's URL as pods reach it", () => {
        const d = resolveStackConfig({}, ctx);
        expect(d.mode).toBe("environment");
        expect(d.workbench).toEqual({ ...WORKBENCH_CONFIG_DEFAULTS, apiServer: undefined });
        const c = resolveStackConfig({ mode: "exercise", network: NETWORK_WITH_API_SERVER, workbench: { enabled: true, apiServer: "https://10.245.0.1:6443/", resources: { limits: { cpu: "1" } } } }, ctx);
        expect(c.mode).toBe("exercise");
        expect(c.workbench.enabled).toBe(true);
        expect(c.workbench.apiServer).toBe("https://10.245.0.1:6443");
        expect(c.workbench.resources.limits).toEqual({ ...WORKBENCH_CONFIG_DEFAULTS.resources.limits, cpu: "1" });
    });

    it("takes extra labels and the quota's extra pods", () => {
        const c = resolveStackConfig({ labels: { "podlab.dev/course": "pods101", team: "" }, quota: { extraPods: 0 } }, ctx);
        expect(c.labels).toEqual({ "podlab.dev/course": "pods101", team: "" });
        expect(c.quota).toEqual({ extraPods: 0 });
        expect(resolveStackConfig({}, ctx).labels).toEqual({});
    });
});
