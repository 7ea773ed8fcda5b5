import type { ResourceValidationPolicy } from "@pulumi/policy";
import { podSpecsOf, show } from "./podSpecs";

/** Seccomp profile types the restricted profile admits. */
const ALLOWED_SECCOMP = ["RuntimeDefault", "Localhost"];
/** The one capability the restricted profile lets a container add back. */
const ALLOWED_ADDED_CAPABILITIES = ["NET_BIND_SERVICE"];

/**
 * The container side of the Pod Security `restricted` profile, which every
 * podlab namespace enforces: finding it at preview beats a pod the API server
 * refuses halfway through an update.
 *
 * Per container (init containers included), with pod-level values inherited
 * where Kubernetes inherits them (runAsNonRoot, runAsUser, seccompProfile):
 * runAsNonRoot true with a numeric non-root runAsUser, allowPrivilegeEscalation
 * false, capabilities dropping ALL (adding back at most NET_BIND_SERVICE), not
 * privileged, and a RuntimeDefault (or Localhost) seccomp profile.
 */
export const restrictedPodSecurity: ResourceValidationPolicy = {
    name: "restricted-pod-security",
    description:
        "Every container meets the restricted Pod Security profile: runAsNonRoot with a numeric uid, " +
        "allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault.",
    // Mandatory: the lab's namespaces enforce `restricted`, so such a pod would be refused anyway.
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        for (const pod of podSpecsOf(args)) {
            const podSc = pod.spec.securityContext ?? {};
            for (const c of pod.containers) {
                const sc = c.spec.securityContext ?? {};
                const report = (what: string, value: unknown) => reportViolation(`${c.where}: ${what} (${show(value)})`);

                const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
                const runAsUser = sc.runAsUser ?? podSc.runAsUser;
                if (runAsNonRoot !== true) {
                    report("securityContext.runAsNonRoot is not true", runAsNonRoot);
                }
                if (runAsUser === undefined || runAsUser === null) {
                    if (runAsNonRoot === true) {
                        // The kubelet cannot check a USER given by name, and refuses to start the container.
                        report("runAsNonRoot without a numeric securityContext.runAsUser", runAsUser);
                    }
                } else if (!Number.isInteger(runAsUser) || runAsUser < 1) {
                    report("securityContext.runAsUser is not a numeric non-root uid", runAsUser);
                }
                if (sc.allowPrivilegeEscalation !== false) {
                    report("securityContext.allowPrivilegeEscalation is not false", sc.allowPrivilegeEscalation);
                }
                if (sc.privileged === true) {
                    report("securityContext.privileged is set", sc.privileged);
                }
                const drop: unknown[] = Array.isArray(sc.capabilities?.drop) ? sc.capabilities.drop : [];
                if (!drop.includes("ALL")) {
                    report("securityContext.capabilities.drop does not include ALL", sc.capabilities?.drop);
                }
                const added: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : [];
                const extra = added.filter((cap) => !ALLOWED_ADDED_CAPABILITIES.includes(String(cap)));
                if (extra.length > 0) {
                    report("securityContext.capabilities.add goes beyond NET_BIND_SERVICE", extra);
                }
                const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
                if (!ALLOWED_SECCOMP.includes(seccomp)) {
                    report("seccompProfile.type is not RuntimeDefault or Localhost", seccomp);
                }
            }
        }
    },
};
