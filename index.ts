/**
 * podlab: one teaching environment per stack. This file only reads the
 * stack's config and composes components; the specs live in components/.
 *
 * The program is exported as a function, so the same code runs under
 * `pulumi up`, as an Automation API inline program (cli/stack.ts) and in
 * the mocked unit tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { LabNamespace } from "./components/labNamespace";
import { psqlCommand, sidecarCurlCommand } from "./components/learnerCommands";
import { PostgresPod } from "./components/postgresPod";
import { SidecarPod } from "./components/sidecarPod";
import { loadStackConfig } from "./components/stackConfig";

function podlab() {
    // All config is validated here, before the first resource is registered.
    const { config, postgresPassword } = loadStackConfig();

    const namespace = new LabNamespace(config.namespace, { stack: pulumi.getStack() });
    const postgres = config.postgres.names.map(
        (name) =>
            new PostgresPod(name, {
                namespace: namespace.name,
                image: config.postgres.image,
                port: config.postgres.port,
                runAsUser: config.postgres.runAsUser,
                resources: config.postgres.resources,
                password: postgresPassword,
            }),
    );
    const s = config.sidecar;
    const web = new SidecarPod(s.name, {
        namespace: namespace.name,
        nginxImage: s.nginxImage,
        nginxPort: s.nginxPort,
        nginxUser: s.nginxUser,
        curlImage: s.curlImage,
        curlUser: s.curlUser,
        fetchIntervalSeconds: s.fetchIntervalSeconds,
        sidecarPort: s.sidecarPort,
        nginxResources: s.nginxResources,
        curlResources: s.curlResources,
    });

    const pods = [...postgres, web];
    return {
        namespace: namespace.name,
        /** Pod name to pod IP: one IP per pod, which is why every postgres can use the same port. */
        podIps: pulumi.all(Object.fromEntries(pods.map((p) => [p.podName, p.podIp]))),
        /** Pod name to its containers and their ports. */
        pods: Object.fromEntries(pods.map((p) => [p.podName, { containers: p.containers }])),
        /** Pod name to the Secret holding its password (the name, never the password). */
        postgresSecrets: pulumi.all(Object.fromEntries(postgres.map((p) => [p.podName, p.secretName]))),
        commands: {
            sidecarCurl: namespace.name.apply((ns) => sidecarCurlCommand(ns, web.podName, web.nginxPort)),
            psql: pulumi.all(
                Object.fromEntries(
                    postgres.map((p) => [
                        p.podName,
                        pulumi.all([namespace.name, p.secretName, p.podIp]).apply(([ns, secret, ip]) => psqlCommand(ns, secret, ip, p.port)),
                    ]),
                ),
            ),
        },
    };
}

export = podlab;
