/**
 * The pack's copies of the admission rules (components/admissionRules.ts), one
 * policy each: a passing and a violating fixture per policy, with the exact
 * message, and the same on a workload's pod template.
 */
import { ADMISSION_RULES } from "../../components/admissionRules";
import { boundedGracePeriod } from "../../policy/policies/boundedGracePeriod";
import { clusterDnsOnly } from "../../policy/policies/clusterDnsOnly";
import { defaultServiceAccount } from "../../policy/policies/defaultServiceAccount";
import { linuxPods } from "../../policy/policies/linuxPods";
import { noCrossNamespaceAffinity } from "../../policy/policies/noCrossNamespaceAffinity";
import { noFinalizers } from "../../policy/policies/noFinalizers";
import { noHostAliases } from "../../policy/policies/noHostAliases";
import { noNodeChoice } from "../../policy/policies/noNodeChoice";
import { noPriorityClass } from "../../policy/policies/noPriorityClass";
import { noProbeHost } from "../../policy/policies/noProbeHost";
import { noServiceAccountToken } from "../../policy/policies/noServiceAccountToken";
import { ALLOWED_VOLUME_KINDS as PACK_VOLUME_KINDS, volumeKinds } from "../../policy/policies/volumeKinds";
import { policies } from "../../policy/policies";
import { ALLOWED_VOLUME_KINDS } from "../../components/admissionRules";
import { FakeResource, ResourcePolicy, goodContainer, pod, violations, workload } from "./harness";

/** A podlab-style pod spec: no token, which every case keeps unless it tests the token. */
const NO_TOKEN = { automountServiceAccountToken: false };
const P = (spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}, containers = [goodContainer()]) => pod(containers, { ...NO_TOKEN, ...spec }, metadata);

interface Case {
    policy: ResourcePolicy;
    passes: FakeResource[];
    breaks: FakeResource;
    message: string;
    /** The same break in a Deployment's pod template (spec fields only). */
    template?: Record<string, unknown>;
}

const CASES: Case[] = [
    {
        policy: noPriorityClass,
        passes: [P(), P({ priorityClassName: "" })],
        breaks: P({ priorityClassName: "system-node-critical" }),
        message: 'pod lab/web: priorityClassName lets the pod preempt other learners\' pods (priorityClassName "system-node-critical")',
        template: { priorityClassName: "system-node-critical" },
    },
    {
        policy: noProbeHost,
        passes: [P(), P({}, {}, [goodContainer({ livenessProbe: { tcpSocket: { port: 8080 } }, readinessProbe: { grpc: { port: 9090 } }, lifecycle: { preStop: { httpGet: { path: "/quit", port: 8080 } } } })])],
        breaks: P({}, {}, [goodContainer({ lifecycle: { postStart: { httpGet: { host: "10.245.0.7", path: "/", port: 80 } } } })]),
        message: 'pod lab/web: container web: lifecycle.postStart.httpGet.host makes the kubelet connect from the node (host "10.245.0.7")',
    },
    {
        policy: noFinalizers,
        passes: [P(), P({}, { finalizers: [] })],
        breaks: P({}, { finalizers: ["example.com/hold"] }),
        message: 'pod lab/web: finalizers keep the pod, and its namespace, from going away (finalizers ["example.com/hold"])',
    },
    {
        policy: defaultServiceAccount,
        passes: [P(), P({ serviceAccountName: "default" })],
        breaks: P({ serviceAccountName: "learner" }),
        message: 'pod lab/web: serviceAccountName gives the pod that account\'s rights (serviceAccountName "learner")',
        template: { serviceAccountName: "learner" },
    },
    {
        policy: noServiceAccountToken,
        passes: [P(), P({ volumes: [{ name: "info", projected: { sources: [{ downwardAPI: { items: [] } }, { configMap: { name: "c" } }] } }] })],
        breaks: P({ volumes: [{ name: "token", projected: { sources: [{ serviceAccountToken: { path: "t", expirationSeconds: 31536000 } }] } }] }),
        message: 'pod lab/web: volume "token" projects a ServiceAccount token ({"path":"t","expirationSeconds":31536000})',
    },
    {
        policy: noServiceAccountToken,
        passes: [],
        breaks: pod([goodContainer()]),
        message: "pod lab/web: automountServiceAccountToken is not false, so the account's token may be mounted (automountServiceAccountToken unset)",
        template: { automountServiceAccountToken: true },
    },
    {
        policy: volumeKinds,
        passes: [P({ volumes: ALLOWED_VOLUME_KINDS.map((k) => ({ name: k.toLowerCase(), [k]: {} })) })],
        breaks: P({ volumes: [{ name: "node", hostPath: { path: "/" } }] }),
        message: 'pod lab/web: volume node is of kind hostPath, not one of emptyDir, configMap, secret, downwardAPI, projected ({"name":"node","hostPath":{"path":"/"}})',
        template: { volumes: [{ name: "node", hostPath: { path: "/" } }] },
    },
    {
        policy: volumeKinds,
        passes: [],
        breaks: P({ volumes: [{ name: "bundle", projected: { sources: [{ clusterTrustBundle: { name: "b", path: "b" } }] } }] }),
        message: 'pod lab/web: volume bundle projects clusterTrustBundle, not only configMap, secret or downwardAPI ({"sources":[{"clusterTrustBundle":{"name":"b","path":"b"}}]})',
    },
    {
        policy: noNodeChoice,
        passes: [P(), P({ tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }], nodeSelector: { disk: "ssd" } })],
        breaks: P({ nodeName: "control-plane" }),
        message: 'pod lab/web: nodeName chooses where or how the pod runs (nodeName "control-plane")',
        template: { nodeName: "control-plane" },
    },
    {
        policy: noNodeChoice,
        passes: [],
        breaks: P({ tolerations: [{ operator: "Exists" }] }),
        message: 'pod lab/web: tolerations let the pod onto tainted nodes (tolerations [{"operator":"Exists"}])',
        template: { runtimeClassName: "runc" },
    },
    {
        policy: noCrossNamespaceAffinity,
        passes: [P({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, namespaces: ["lab"], topologyKey: "kubernetes.io/hostname" }] } } })],
        breaks: P({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { labelSelector: {}, namespaces: ["grace"], topologyKey: "h" } }] } } }),
        message: 'pod lab/web: podAffinity reaches pods of other namespaces ({"labelSelector":{},"namespaces":["grace"],"topologyKey":"h"})',
    },
    {
        policy: boundedGracePeriod,
        passes: [P({ terminationGracePeriodSeconds: 30 }), P({}, {}, [goodContainer({ livenessProbe: { exec: { command: ["true"] }, terminationGracePeriodSeconds: 5 } })])],
        breaks: P({}, {}, [goodContainer({ startupProbe: { exec: { command: ["true"] }, terminationGracePeriodSeconds: 600 } })]),
        message: "pod lab/web: container web: startupProbe kills with a long grace period (terminationGracePeriodSeconds 600)",
        template: { terminationGracePeriodSeconds: 3600 },
    },
    {
        policy: clusterDnsOnly,
        passes: [P({ dnsPolicy: "ClusterFirst", dnsConfig: { options: [{ name: "ndots", value: "1" }] } })],
        breaks: P({ dnsPolicy: "Default" }),
        message: 'pod lab/web: dnsPolicy sends the pod\'s lookups elsewhere than the cluster\'s DNS (dnsPolicy "Default")',
        template: { dnsConfig: { nameservers: ["10.0.0.1"] } },
    },
    {
        policy: noHostAliases,
        passes: [P({ hostAliases: [] })],
        breaks: P({ hostAliases: [{ ip: "10.245.0.9", hostnames: ["postgres"] }] }),
        message: 'pod lab/web: hostAliases rewrite names in the pod\'s /etc/hosts (hostAliases [{"ip":"10.245.0.9","hostnames":["postgres"]}])',
        template: { hostAliases: [{ ip: "10.245.0.9", hostnames: ["postgres"] }] },
    },
    {
        policy: linuxPods,
        passes: [P({ os: { name: "linux" } })],
        breaks: P({ os: { name: "windows" } }),
        message: 'pod lab/web: spec.os.name makes Pod Security skip its Linux checks (os {"name":"windows"})',
        template: { os: { name: "windows" } },
    },
];

describe("the pack's copies of the admission rules", () => {
    it.each(CASES.map((c) => [c.policy.name, c] as const))("%s: passes its compliant pods and names what breaks it", (_, c) => {
        for (const ok of c.passes) {
            expect(violations(c.policy, ok)).toEqual([]);
        }
        expect(violations(c.policy, c.breaks)).toEqual([c.message]);
    });

    it.each(CASES.filter((c) => c.template).map((c) => [c.policy.name, c] as const))("%s: checks a Deployment's pod template too", (_, c) => {
        expect(violations(c.policy, workload("Deployment", [goodContainer()], { ...NO_TOKEN, ...c.template }))).toEqual([expect.stringMatching(/^Deployment lab\/web \(pod template\): /)]);
        expect(violations(c.policy, workload("Deployment", [goodContainer()], NO_TOKEN))).toEqual([]);
    });

    it("covers every admission rule that a pod spec can break (not the request-time ones), under the same name", () => {
        const pack = new Set(policies.map((p) => p.name));
        const requestOnly = ["no-ephemeral-containers", "reserved-labels"];
        expect(ADMISSION_RULES.map((r) => r.name).filter((n) => !requestOnly.includes(n) && !pack.has(n))).toEqual([]);
        expect(PACK_VOLUME_KINDS).toEqual(ALLOWED_VOLUME_KINDS);
    });
});
