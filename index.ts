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
import { NetworkFence } from "./components/networkFence";
import { PostgresPod } from "./components/postgresPod";
import { SidecarPod } from "./components/sidecarPod";
import { loadStackConfig } from "./components/stackConfig";

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
    // In and out, pods reach only their own namespace (and the cluster's DNS, where it has one).
    new NetworkFence(config.namespace, { namespace: ns, labels, dns: config.network.dns });

    const pgArgs = {
        namespace: ns,
        image: config.postgres.image,
        port: config.postgres.port,
        runAsUser: config.postgres.runAsUser,
        resources: config.postgres.resources,
        password: postgresPassword,
        labels,
    };
    const s = config.sidecar;
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
    // The quota is sized from the pods' own resources, and the pods wait for it:
    // a count raised in config first makes room, then adds the pod.
    const quota = new EnvironmentQuota(config.namespace, {
        namespace: ns,
        pods: [...config.postgres.names.map(() => [config.postgres.resources]), [s.nginxResources, s.curlResources]],
        extraPods: config.quota.extraPods,
        labels,
    });
    const postgres = config.postgres.names.map((name) => new PostgresPod(name, pgArgs, { dependsOn: [quota] }));
    const web = new SidecarPod(s.name, webArgs, { dependsOn: [quota] });

    const pods = [...postgres, web];
    return {
        namespace: ns,
        /** Pod name to pod IP: one IP per pod, which is why every postgres can use the same port. */
        podIps: pulumi.all(Object.fromEntries(pods.map((p) => [p.podName, p.podIp]))),
        /** Pod name to its containers and their ports. */
        pods: Object.fromEntries(pods.map((p) => [p.podName, { containers: p.containers }])),
        /** The ServiceAccount learners' tokens are issued for (`npm run course -- credentials`), and the namespace's quota. */
        access: { serviceAccount: access.serviceAccountName },
        quota: quota.hard,
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
