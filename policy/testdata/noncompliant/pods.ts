/**
 * One pod per podlab policy, each breaking that policy and no other, as plain
 * Kubernetes JSON. The program (index.ts) registers them; a root unit test runs
 * the policies over them so this table stays right without a CLI.
 */

export const NAMESPACE = "podlab-noncompliant";

const LABELS = { "app.kubernetes.io/part-of": "podlab", "app.kubernetes.io/managed-by": "pulumi" };

/** A pod the pack should flag: its name, its manifest, and the one policy and message fragment expected. */
export interface NoncompliantPod {
    name: string;
    manifest: any;
    policy: string;
    expected: string;
}

/** A container that passes every policy, before a case breaks it. */
function container(overrides: Record<string, unknown> = {}): any {
    return {
        name: "app",
        image: "docker.io/nginxinc/nginx-unprivileged:1.27.5-alpine",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 101,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        readinessProbe: { httpGet: { path: "/", port: 8080 } },
        ...overrides,
    };
}

function manifest(name: string, containers: any[], labels: Record<string, string> = LABELS): any {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: NAMESPACE, labels },
        spec: { containers, automountServiceAccountToken: false },
    };
}

function pod(name: string, policy: string, expected: string, containers: any[], labels?: Record<string, string>): NoncompliantPod {
    return { name, manifest: manifest(name, containers, labels), policy, expected: `pod ${NAMESPACE}/${name}: ${expected}` };
}

export const NONCOMPLIANT_PODS: NoncompliantPod[] = [
    pod("latest-image", "pinned-images", "container app: image uses the 'latest' tag", [container({ image: "docker.io/library/nginx:latest" })]),
    pod("host-port", "no-host-ports-or-host-network", "container app: hostPort binds a port on the node (hostPort 8080", [
        container({ ports: [{ containerPort: 8080, hostPort: 8080, protocol: "TCP" }] }),
    ]),
    pod("duplicate-ports", "no-duplicate-container-ports", "container sidecar: containerPort already declared by container app", [
        container(),
        container({ name: "sidecar", image: "docker.io/curlimages/curl:8.11.1", command: ["sleep", "infinity"] }),
    ]),
    pod("root-user", "restricted-pod-security", "container app: securityContext.runAsUser is not a numeric non-root uid (0)", [
        container({
            securityContext: {
                runAsNonRoot: true,
                runAsUser: 0,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
            },
        }),
    ]),
    pod("no-resources", "container-resources", "container app: no requests.cpu", [container({ resources: undefined })]),
    pod("no-readiness", "readiness-probes", "container app: no readinessProbe", [container({ readinessProbe: undefined })]),
    pod("literal-password", "no-literal-secret-env", "container app: env PASSWORD has a literal value", [
        container({ env: [{ name: "PASSWORD", value: "not-a-secret-anymore" }] }),
    ]),
    pod("no-labels", "project-labels", "label app.kubernetes.io/part-of is not \"podlab\" (unset)", [container()], { app: "no-labels" }),
];
