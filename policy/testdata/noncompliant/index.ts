/**
 * A deliberately non-compliant program: one object per podlab policy (objects.ts).
 * Run only as an Automation API inline program by preview.ts, and only ever
 * previewed. Resources are registered by type token, so this package needs no
 * @pulumi/kubernetes; the provider renders YAML to a directory instead of
 * talking to a cluster, so the check needs none.
 */
import * as pulumi from "@pulumi/pulumi";
import { NONCOMPLIANT_OBJECTS, typeOf } from "./objects";

/** A Kubernetes provider, by package name. */
class KubernetesProvider extends pulumi.ProviderResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("kubernetes", name, props);
    }
}

/** A Kubernetes object, by type token: the manifest goes to the provider (and the policy pack) as is. */
class RawObject extends pulumi.CustomResource {
    constructor(name: string, manifest: { apiVersion: string; kind: string }, opts: pulumi.CustomResourceOptions) {
        super(typeOf(manifest), name, manifest, opts);
    }
}

function noncompliant(renderDir: string) {
    const provider = new KubernetesProvider("render", { renderYamlToDirectory: renderDir });
    const objects = NONCOMPLIANT_OBJECTS.map((o) => new RawObject(o.name, o.manifest, { provider }));
    return { objects: objects.map((o) => o.urn) };
}

export = noncompliant;
