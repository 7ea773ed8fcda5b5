/**
 * The podlab policies, in the order the pack reports them. The pack's entry
 * (../index.ts) only wraps this array in a PolicyPack; tests import it from
 * here, because constructing a PolicyPack starts the analyzer's gRPC server.
 */
import type { Policies } from "@pulumi/policy";
import { boundedGracePeriod } from "./boundedGracePeriod";
import { clusterDnsOnly } from "./clusterDnsOnly";
import { containerResources } from "./containerResources";
import { noDuplicateContainerPorts } from "./containerPorts";
import { defaultServiceAccount } from "./defaultServiceAccount";
import { emptyDirSizeLimit } from "./emptyDirSizeLimit";
import { fencedNamespaces } from "./fencedNamespaces";
import { noHostPortsOrHostNetwork } from "./hostNetworking";
import { leastPrivilegeRbac } from "./leastPrivilegeRbac";
import { linuxPods } from "./linuxPods";
import { noCrossNamespaceAffinity } from "./noCrossNamespaceAffinity";
import { noFinalizers } from "./noFinalizers";
import { noHostAliases } from "./noHostAliases";
import { noNodeChoice } from "./noNodeChoice";
import { noPriorityClass } from "./noPriorityClass";
import { noProbeHost } from "./noProbeHost";
import { noServiceAccountToken } from "./noServiceAccountToken";
import { pinnedImages } from "./pinnedImages";
import { projectLabels } from "./projectLabels";
import { readinessProbes } from "./readinessProbes";
import { restrictedPodSecurity } from "./restrictedSecurity";
import { noLiteralSecretEnv } from "./secretEnv";
import { volumeKinds } from "./volumeKinds";

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
    // Mandatory by default: the rules the API server also enforces on learners' pods
    // (components/admissionRules.ts), checked on podlab's own before they exist.
    noPriorityClass,
    noProbeHost,
    noFinalizers,
    defaultServiceAccount,
    noServiceAccountToken,
    volumeKinds,
    noNodeChoice,
    noCrossNamespaceAffinity,
    boundedGracePeriod,
    clusterDnsOnly,
    noHostAliases,
    linuxPods,
    // Advisory by default: good practice a lab may reasonably differ from.
    containerResources,
    readinessProbes,
    projectLabels,
];
