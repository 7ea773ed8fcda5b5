/**
 * The podlab policies, in the order the pack reports them. The pack's entry
 * (../index.ts) only wraps this array in a PolicyPack; tests import it from
 * here, because constructing a PolicyPack starts the analyzer's gRPC server.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containerResources } from "./containerResources";
import { noDuplicateContainerPorts } from "./containerPorts";
import { noHostPortsOrHostNetwork } from "./hostNetworking";
import { pinnedImages } from "./pinnedImages";
import { projectLabels } from "./projectLabels";
import { readinessProbes } from "./readinessProbes";
import { restrictedPodSecurity } from "./restrictedSecurity";
import { noLiteralSecretEnv } from "./secretEnv";

export const policies: ResourceValidationPolicy[] = [
    // Mandatory by default: the course's lesson and the lab's safety rules.
    noDuplicateContainerPorts,
    noHostPortsOrHostNetwork,
    pinnedImages,
    restrictedPodSecurity,
    noLiteralSecretEnv,
    // Advisory by default: good practice a lab may reasonably differ from.
    containerResources,
    readinessProbes,
    projectLabels,
];
