import { restrictedPodSecurity as policy } from "../../policy/policies/restrictedSecurity";
import { RESTRICTED_CONTEXT } from "../../policy/testdata/noncompliant/objects";
import { goodContainer, pod, violations, workload } from "./harness";

const RESTRICTED = { ...RESTRICTED_CONTEXT, runAsUser: 999 };
const withSc = (securityContext: unknown, name = "postgres") => goodContainer({ name, securityContext });

describe("restricted-pod-security", () => {
    it("passes a container with the restricted security context", () => {
        expect(violations(policy, pod([withSc(RESTRICTED)]))).toEqual([]);
    });

    it("passes runAsNonRoot, runAsUser and seccomp inherited from the pod's security context", () => {
        const c = withSc({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } });
        const podSc = { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } };
        expect(violations(policy, pod([c], { securityContext: podSc }))).toEqual([]);
    });

    it("names every gap of a container without a security context", () => {
        expect(violations(policy, pod([withSc(undefined)]))).toEqual([
            "pod lab/web: container postgres: securityContext.runAsNonRoot is not true (unset)",
            "pod lab/web: container postgres: securityContext.allowPrivilegeEscalation is not false (unset)",
            "pod lab/web: container postgres: securityContext.capabilities.drop does not include ALL (unset)",
            "pod lab/web: container postgres: seccompProfile.type is not RuntimeDefault or Localhost (unset)",
        ]);
    });

    it("refuses root", () => {
        expect(violations(policy, pod([withSc({ ...RESTRICTED, runAsNonRoot: false, runAsUser: 0 })]))).toEqual([
            "pod lab/web: container postgres: securityContext.runAsNonRoot is not true (false)",
            "pod lab/web: container postgres: securityContext.runAsUser is not a numeric non-root uid (0)",
        ]);
    });

    it("refuses runAsNonRoot without a numeric uid (the kubelet cannot check a named USER)", () => {
        expect(violations(policy, pod([withSc({ ...RESTRICTED, runAsUser: undefined })]))).toEqual([
            "pod lab/web: container postgres: runAsNonRoot without a numeric securityContext.runAsUser (unset)",
        ]);
    });

    it("refuses privilege escalation, privileged mode, kept or added capabilities and an unconfined seccomp profile", () => {
        const sc = {
            ...RESTRICTED,
            allowPrivilegeEscalation: true,
            privileged: true,
            capabilities: { drop: ["NET_RAW"], add: ["NET_BIND_SERVICE", "SYS_ADMIN"] },
            seccompProfile: { type: "Unconfined" },
        };
        expect(violations(policy, pod([withSc(sc)]))).toEqual([
            "pod lab/web: container postgres: securityContext.allowPrivilegeEscalation is not false (true)",
            "pod lab/web: container postgres: securityContext.privileged is set (true)",
            'pod lab/web: container postgres: securityContext.capabilities.drop does not include ALL (["NET_RAW"])',
            'pod lab/web: container postgres: securityContext.capabilities.add goes beyond NET_BIND_SERVICE (["SYS_ADMIN"])',
            'pod lab/web: container postgres: seccompProfile.type is not RuntimeDefault or Localhost ("Unconfined")',
        ]);
    });

    it("lets a container's value override the pod's", () => {
        const podSc = { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } };
        expect(violations(policy, pod([withSc({ ...RESTRICTED, runAsUser: 0 })], { securityContext: podSc }))).toEqual([
            "pod lab/web: container postgres: securityContext.runAsUser is not a numeric non-root uid (0)",
        ]);
    });

    it("checks init containers of a StatefulSet template", () => {
        const init = withSc({ ...RESTRICTED, allowPrivilegeEscalation: undefined }, "init-perms");
        expect(violations(policy, workload("StatefulSet", [withSc(RESTRICTED)], { initContainers: [init] }))).toEqual([
            "StatefulSet lab/web (pod template): container init-perms: securityContext.allowPrivilegeEscalation is not false (unset)",
        ]);
    });
});
