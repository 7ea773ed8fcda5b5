/**
 * The README's picture, drawn by podlab's own picture code (cli/picture/) from
 * one learner's environment as the lab's real node would report it: the pods
 * the program makes with its default config (names, images, ports), at sample
 * IPs, each in its sandbox. `npm run docs` writes it to docs/pods.svg.
 */
import { CriContainer, CriSandbox, CriView } from "../cli/cri";
import { KubePod } from "../cli/kubePod";
import { environmentView } from "../cli/picture/model";
import { environmentSvg } from "../cli/picture/svg";
import { resolveStackConfig } from "../components/stackConfig";

const NAMESPACE = "podlab-pods101-ada";
const NODE = "podlab-node-0";
const NODE_IP = "10.245.0.1";

function pod(name: string, app: string, ip: string, containers: KubePod["spec"]["containers"]): KubePod {
    return {
        metadata: { name, namespace: NAMESPACE, uid: `uid-${name}`, labels: { "app.kubernetes.io/name": app } },
        spec: { nodeName: NODE, containers },
        status: {
            phase: "Running",
            podIP: ip,
            hostIP: NODE_IP,
            conditions: [{ type: "Ready", status: "True" }],
            containerStatuses: containers.map((c) => ({ name: c.name, ready: true, state: { running: {} } })),
        },
    };
}

/** The environment's pods as the API server would report them, from a stack with the default config. */
function samplePods(): KubePod[] {
    const config = resolveStackConfig({}, { project: "podlab", stack: "dev" });
    const pg = config.postgres;
    const sc = config.sidecar;
    const postgres = pg.names.map((name, i) =>
        pod(name, "postgres", `10.245.0.${11 + i}`, [{ name: "postgres", image: pg.image, ports: [{ containerPort: pg.port }] }]),
    );
    const sidecar = pod(sc.name, "nginx-sidecar", `10.245.0.${11 + pg.names.length}`, [
        { name: "nginx", image: sc.nginxImage, ports: [{ containerPort: sc.nginxPort }] },
        { name: "sidecar", image: sc.curlImage },
    ]);
    return [...postgres, sidecar];
}

/** Their sandboxes and containers as the node's runtime would report them. */
function sampleRuntime(pods: KubePod[]): CriView {
    const sandboxes: CriSandbox[] = pods.map((p, i) => ({
        id: `${(0x3a1f00 + i).toString(16)}c0ffee`,
        podUid: p.metadata.uid,
        podName: p.metadata.name,
        namespace: NAMESPACE,
        state: "SANDBOX_READY",
        ip: p.status?.podIP,
        netns: `/var/run/netns/cni-${p.metadata.name}`,
        pid: 4101 + i,
    }));
    const containers: CriContainer[] = pods.flatMap((p, i) =>
        p.spec.containers.map((c) => ({ id: `${p.metadata.name}-${c.name}`, name: c.name, podUid: p.metadata.uid, sandboxId: sandboxes[i].id, state: "CONTAINER_RUNNING" })),
    );
    return { visible: true, source: "the node's container runtime", sandboxes, containers };
}

/** The picture, as a standalone SVG file. */
export function readmePicture(): string {
    const pods = samplePods();
    return environmentSvg(environmentView(NAMESPACE, pods, sampleRuntime(pods), new Date(0))) + "\n";
}
