/**
 * The podlab policies, in the order the pack reports them. The pack's entry
 * (../index.ts) only wraps this array in a PolicyPack; tests import it from
 * here, because constructing a PolicyPack starts the analyzer's gRPC server.
 */
import type { Policies } from "@pulumi/policy";
import { containerResources } from "./containerResources";
import { noDuplicateContainerPorts } from "./containerPorts";
import { emptyDirSizeLimit } from "./emptyDirSizeLimit";
import { fencedNamespaces } from "./fencedNamespaces";
import { noHostPortsOrHostNetwork } from "./hostNetworking";
import { leastPrivilegeRbac } from "./leastPrivilegeRbac";
import { pinnedImages } from "./pinnedImages";
import { projectLabels } from "./projectLabels";
import { readinessProbes } from "./readinessProbes";
import { restrictedPodSecurity } from "./restrictedSecurity";
import { noLiteralSecretEnv } from "./secretEnv";

export const policies: Policies = [
    // Mandatory by default: the course's lesson and the lab's safety rules.
    noDuplicateContainerPorts,
    noHostPortsOrHostNetwork,
    pinnedImages,
    restrictedPodSecurity,
    noLiteralSecretEnv,
    // Mandatory by default: the fences between learners' environments.
    emptyDirSizeLimit,
    leastPrivilegeRbac,
    fencedNamespaces,
    // Advisory by default: good practice a lab may reasonably differ from.
    containerResources,
    readinessProbes,
    projectLabels,
];
