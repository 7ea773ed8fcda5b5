/**
 * podlab: one teaching environment per stack. This file only reads the
 * stack's config and composes components; the specs live in components/.
 *
 * The program is exported as a function, so the same code runs under
 * `pulumi up`, as an Automation API inline program (cli/stack.ts) and in
 * the mocked unit tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { AdmissionFence, FENCE_LABEL, stackFenceName } from "./components/admissionFence";
import { EnvironmentQuota } from "./components/environmentQuota";
import { LabNamespace } from "./components/labNamespace";
import { LearnerAccess } from "./components/learnerAccess";
import { psqlCommand, sidecarCurlCommand } from "./components/learnerCommands";
import { LessonPassword } from "./components/lessonPassword";
import { NetworkFence } from "./components/networkFence";
import { PostgresPod } from "./components/postgresPod";
import { SidecarPod } from "./components/sidecarPod";
import { loadStackConfig } from "./components/stackConfig";
import { WORKBENCH_SELECTOR, Workbench } from "./components/workbench";

function podlab() {
    // All config is validated here, before the first resource is registered.
    const { config, postgresPassword } = loadStackConfig();

    const labels = config.labels;
    const namespace = new LabNamespace(config.namespace, { stack: pulumi.getStack(), labels, fence: config.fence });
    const ns = namespace.name;
    // The rules on what a learner's pods may ask for, enforced by the API server. A course's
    // learners are covered by the course's own policy (cli/course/courseStack.ts); a single
    // stack makes its own, named and selecting by its namespace, so two stacks never collide.
    if (config.fence === "stack") {
        new AdmissionFence(stackFenceName(config.namespace), {
            namespaceSelector: { "kubernetes.io/metadata.name": config.namespace, [FENCE_LABEL]: "stack" },
            labels,
        });
    }
    // The fences every environment gets: a learner identity with rights in this namespace only
    // (and a default ServiceAccount that mounts no token), a resource budget, and no traffic to
    // or from other namespaces. Each component is named after
    // the namespace, so its children (`<namespace>-role`, `<namespace>-quota`, ...) never collide.
    const access = new LearnerAccess(config.namespace, { namespace: ns, labels });
    const wb = config.workbench;
    // In and out, pods reach only their own namespace (and the cluster's DNS, where it has one);
    // the workbench alone also reaches the API server, where config says how pods reach it:
    // its kubectl is the learner's (their own token, their own rights), the lesson needs it.
    const api = config.network.apiServer;
    const apiServerAccess = wb.enabled && api !== undefined ? { podSelector: WORKBENCH_SELECTOR, addresses: api.addresses, port: api.port } : undefined;
    new NetworkFence(config.namespace, { namespace: ns, labels, dns: config.network.dns, apiServerAccess });

    const s = config.sidecar;
    // The quota is sized from the lesson's pods as podlab makes them, or, in an exercise,
    // as the step's files make them (two postgres pods and the sidecar pod), and the workbench.
    const postgresCount = config.mode === "exercise" ? 2 : config.postgres.names.length;
    const quota = new EnvironmentQuota(config.namespace, {
        namespace: ns,
        pods: [
            ...Array.from({ length: postgresCount }, () => [config.postgres.resources]),
            [s.nginxResources, s.curlResources],
            ...(wb.enabled ? [[wb.resources]] : []),
        ],
        extraPods: config.quota.extraPods,
        labels,
    });
    // The learner's shell in the cluster (the browser's terminal), when the stack or the course wants one.
    const workbench = wb.enabled
        ? new Workbench(`${config.namespace}-workbench`, { namespace: ns, image: wb.image, runAsUser: wb.runAsUser, resources: wb.resources, labels }, { dependsOn: [quota] })
        : undefined;
    const common = {
        namespace: ns,
        mode: config.mode,
        /** The ServiceAccount learners' tokens are issued for (`npm run course -- credentials`), and the namespace's quota. */
        access: { serviceAccount: access.serviceAccountName },
        quota: quota.hard,
        /** Where a terminal opens: the workbench pod, its container and shell; absent without a workbench. */
        workbench: workbench && { pod: workbench.podName, container: workbench.containerName, shell: workbench.shell },
    };
    if (config.mode === "exercise") {
        // The learner makes the pods; podlab makes only the password their YAML refers to.
        const password = new LessonPassword(`${config.namespace}-lesson`, { namespace: ns, password: postgresPassword, labels }, { dependsOn: [quota] });
        return { ...common, podIps: {}, pods: {}, postgresSecrets: {}, lesson: { passwordSecret: password.secretName } };
    }

    const pgArgs = {
        namespace: ns,
        image: config.postgres.image,
        port: config.postgres.port,
        runAsUser: config.postgres.runAsUser,
        resources: config.postgres.resources,
        password: postgresPassword,
        labels,
    };
    const webArgs = {
        namespace: ns,
        nginxImage: s.nginxImage,
        nginxPort: s.nginxPort,
        nginxUser: s.nginxUser,
        curlImage: s.curlImage,
        curlUser: s.curlUser,
        fetchIntervalSeconds: s.fetchIntervalSeconds,
        sidecarPort: s.sidecarPort,
        nginxResources: s.nginxResources,
        curlResources: s.curlResources,
        labels,
    };
    // The pods wait for the quota: a count raised in config first makes room, then adds the pod.
    const postgres = config.postgres.names.map((name) => new PostgresPod(name, pgArgs, { dependsOn: [quota] }));
    const web = new SidecarPod(s.name, webArgs, { dependsOn: [quota] });

    const pods = [...postgres, web];
    return {
        ...common,
        /** Pod name to pod IP: one IP per pod, which is why every postgres can use the same port. */
        podIps: pulumi.all(Object.fromEntries(pods.map((p) => [p.podName, p.podIp]))),
        /** Pod name to its containers and their ports. */
        pods: Object.fromEntries(pods.map((p) => [p.podName, { containers: p.containers }])),
        /** Pod name to the Secret holding its password (the name, never the password). */
        postgresSecrets: pulumi.all(Object.fromEntries(postgres.map((p) => [p.podName, p.secretName]))),
        commands: {
            sidecarCurl: ns.apply((ns) => sidecarCurlCommand(ns, web.podName, web.nginxPort)),
            psql: pulumi.all(
                Object.fromEntries(
                    postgres.map((p) => [
                        p.podName,
                        pulumi.all([ns, p.secretName, p.podIp]).apply(([ns, secret, ip]) => psqlCommand(ns, secret, ip, p.port)),
                    ]),
                ),
            ),
        },
    };
}

export = podlab;
