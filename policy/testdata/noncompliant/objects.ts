/**
 * One object per podlab policy, each breaking that policy and no other, as plain
 * Kubernetes JSON: pods for the pod policies, a Role and a Namespace for the
 * fences. The program (index.ts) registers them; a root unit test runs the
 * policies over them so this table stays right without a CLI.
 */

export const NAMESPACE = "podlab-noncompliant";

const LABELS = { "app.kubernetes.io/part-of": "podlab", "app.kubernetes.io/managed-by": "pulumi" };

/** An object the pack should flag: its manifest, and the one policy and message fragment expected. */
export interface NoncompliantObject {
    /** The object's Pulumi name, and its `metadata.name`. */
    name: string;
    manifest: any;
    policy: string;
    expected: string;
}

/** The Pulumi type token of a manifest: `kubernetes:<group>/<version>:<Kind>`, the core group's `v1` as `core/v1`. */
export function typeOf(manifest: { apiVersion: string; kind: string }): string {
    const groupVersion = manifest.apiVersion.includes("/") ? manifest.apiVersion : `core/${manifest.apiVersion}`;
    return `kubernetes:${groupVersion}:${manifest.kind}`;
}

/** `pod <name>` for a Pod, `<Kind> <name>` otherwise: how the check's report names an object. */
export function describeNoncompliant(o: NoncompliantObject): string {
    return `${o.manifest.kind === "Pod" ? "pod" : o.manifest.kind} ${o.name}`;
}

/** The container security context of the Pod Security `restricted` profile. */
export const RESTRICTED_CONTEXT = {
    runAsNonRoot: true,
    runAsUser: 101,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** A container that passes every policy, before a case breaks it; the root unit tests start from it too. */
export function compliantContainer(overrides: Record<string, unknown> = {}): any {
    return {
        name: "app",
        image: "docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        resources: {
            requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "8Mi" },
            limits: { cpu: "100m", memory: "32Mi", "ephemeral-storage": "32Mi" },
        },
        securityContext: { ...RESTRICTED_CONTEXT },
        readinessProbe: { httpGet: { path: "/", port: 8080 } },
        ...overrides,
    };
}

function podManifest(name: string, containers: any[], labels: Record<string, string>, volumes?: any[], spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): any {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NAMESPACE, labels, ...metadata },
        spec: { containers, volumes, automountServiceAccountToken: false, ...spec },
    };
}

function pod(name: string, policy: string, expected: string, containers: any[], labels: Record<string, string> = LABELS, volumes?: any[]): NoncompliantObject {
    return { name, manifest: podManifest(name, containers, labels, volumes), policy, expected: `pod ${NAMESPACE}/${name}: ${expected}` };
}

/** A pod of one compliant container that breaks `policy` through its spec or metadata only. */
function podWith(name: string, policy: string, expected: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}, containers: any[] = [compliantContainer()]): NoncompliantObject {
    return { name, manifest: podManifest(name, containers, LABELS, undefined, spec, metadata), policy, expected: `pod ${NAMESPACE}/${name}: ${expected}` };
}

export const NONCOMPLIANT_OBJECTS: NoncompliantObject[] = [
    pod("latest-image", "pinned-images", "container app: image uses the 'latest' tag", [compliantContainer({ image: "docker.io/library/nginx:latest" })]),
    pod("host-port", "no-host-ports-or-host-network", "container app: hostPort binds a port on the node (hostPort 8080", [
        compliantContainer({ ports: [{ containerPort: 8080, hostPort: 8080, protocol: "TCP" }] }),
    ]),
    pod("duplicate-ports", "no-duplicate-container-ports", "container sidecar: containerPort already declared by container app", [
        compliantContainer(),
        compliantContainer({ name: "sidecar", image: "docker.io/curlimages/curl:8.11.1", command: ["sleep", "infinity"] }),
    ]),
    pod("root-user", "restricted-pod-security", "container app: securityContext.runAsUser is not a numeric non-root uid (0)", [
        compliantContainer({ securityContext: { ...RESTRICTED_CONTEXT, runAsUser: 0 } }),
    ]),
    pod("no-resources", "container-resources", "container app: no requests.cpu", [compliantContainer({ resources: undefined })]),
    pod("no-readiness", "readiness-probes", "container app: no readinessProbe", [compliantContainer({ readinessProbe: undefined })]),
    pod("literal-password", "no-literal-secret-env", "container app: env PASSWORD has a literal value", [
        compliantContainer({ env: [{ name: "PASSWORD", value: "not-a-secret-anymore" }] }),
    ]),
    pod("no-labels", "project-labels", "label app.kubernetes.io/part-of is not \"podlab\" (unset)", [compliantContainer()], { app: "no-labels" }),
    pod(
        "unbounded-scratch",
        "emptydir-size-limit",
        "volume scratch: emptyDir has no sizeLimit (emptyDir {})",
        [compliantContainer({ volumeMounts: [{ name: "scratch", mountPath: "/tmp" }] })],
        LABELS,
        [{ name: "scratch", emptyDir: {} }],
    ),
    // The rules the API server also enforces on learners' pods (components/admissionRules.ts).
    podWith("critical-priority", "no-priority-class", "priorityClassName lets the pod preempt other learners' pods", { priorityClassName: "system-node-critical" }),
    podWith("probe-host", "no-probe-host", "container app: readinessProbe.tcpSocket.host makes the kubelet connect from the node", {}, {}, [
        compliantContainer({ readinessProbe: { tcpSocket: { host: "10.245.0.7", port: 5432 } } }),
    ]),
    podWith("held", "no-finalizers", "finalizers keep the pod, and its namespace, from going away", {}, { finalizers: ["example.com/hold"] }),
    podWith("other-account", "default-service-account", "serviceAccountName gives the pod that account's rights", { serviceAccountName: "learner" }),
    podWith("mounted-token", "no-service-account-token", "automountServiceAccountToken is not false", { automountServiceAccountToken: true }),
    podWith("claim-volume", "volume-kinds", "volume scratch is of kind ephemeral", {
        volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } } }],
    }),
    podWith("on-control-plane", "no-node-choice", "tolerations let the pod onto tainted nodes", { tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }] }),
    podWith("crowding-out", "no-cross-namespace-affinity", "podAntiAffinity reaches pods of other namespaces", {
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "postgres" } }, namespaceSelector: {}, topologyKey: "kubernetes.io/hostname" }] } },
    }),
    podWith("slow-to-go", "bounded-grace-period", "a pod that ignores SIGTERM holds its namespace this long", { terminationGracePeriodSeconds: 31536000 }),
    podWith("own-resolver", "cluster-dns-only", "dnsConfig names nameservers of its own", { dnsConfig: { nameservers: ["10.245.0.9"] } }),
    podWith("aliased", "no-host-aliases", "hostAliases rewrite names in the pod's /etc/hosts", { hostAliases: [{ ip: "10.245.0.9", hostnames: ["localhost.example"] }] }),
    podWith("not-linux", "linux-pods", "spec.os.name makes Pod Security skip its Linux checks", { os: { name: "windows" } }),
    {
        // The rights that let a learner relabel their namespace out of `restricted`.
        name: "namespace-editor",
        manifest: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "namespace-editor", namespace: NAMESPACE, labels: LABELS },
            rules: [{ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "patch"] }],
        },
        policy: "least-privilege-rbac",
        expected: `Role ${NAMESPACE}/namespace-editor: rules[0] grants rights on namespaces`,
    },
    {
        // Restricted, but with no NetworkPolicy, ResourceQuota or LimitRange in it.
        name: "podlab-unfenced",
        manifest: {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
                name: "podlab-unfenced",
                labels: {
                    ...LABELS,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        },
        policy: "fenced-namespaces",
        expected: "Namespace podlab-unfenced: no NetworkPolicy selects every pod for Ingress",
    },
];
