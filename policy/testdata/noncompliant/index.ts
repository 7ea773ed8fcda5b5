/**
 * A deliberately non-compliant program: one pod per podlab policy (pods.ts).
 * Run only as an Automation API inline program by preview.ts, and only ever
 * previewed. Resources are registered by type token, so this package needs no
 * @pulumi/kubernetes; the provider renders YAML to a directory instead of
 * talking to a cluster, so the check needs none.
 */
import * as pulumi from "@pulumi/pulumi";
import { NONCOMPLIANT_PODS } from "./pods";

/** A Kubernetes provider, by package name. */
class KubernetesProvider extends pulumi.ProviderResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("kubernetes", name, props);
    }
}

/** A Pod, by type token: the manifest goes to the provider (and the policy pack) as is. */
class RawPod extends pulumi.CustomResource {
    constructor(name: string, manifest: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super("kubernetes:core/v1:Pod", name, manifest, opts);
    }
}

function noncompliant(renderDir: string) {
    const provider = new KubernetesProvider("render", { renderYamlToDirectory: renderDir });
    const pods = NONCOMPLIANT_PODS.map((p) => new RawPod(p.name, p.manifest, { provider }));
    return { pods: pods.map((p) => p.urn) };
}

export = noncompliant;
