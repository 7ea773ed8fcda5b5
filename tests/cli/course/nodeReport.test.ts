import { judgeApiServer, judgeDns, judgeIpv6, judgeKubelet } from "../../../cli/course/nodeReport";

/** The lab's real node, as its configz reports it (lab/node/kubelet-config.yaml.in). */
const LAB_KUBELET = {
    podPidsLimit: 256,
    evictionHard: { "memory.available": "100Mi", "pid.available": "10%" },
    systemReserved: { cpu: "50m", memory: "1Gi" },
    kubeReserved: { cpu: "70m", memory: "1Gi" },
    readOnlyPort: 0,
    authentication: { anonymous: { enabled: false } },
    authorization: { mode: "Webhook" },
};

describe("what course up says about the cluster", () => {
    it("a hardened kubelet is reported without a warning", () => {
        expect(judgeKubelet("podlab-node-0", LAB_KUBELET)).toEqual({
            lines: ["podlab-node-0: podPidsLimit 256, evictionHard pid.available 10%, systemReserved cpu=50m,memory=1Gi, kubeReserved cpu=70m,memory=1Gi, anonymous off, read-only port off"],
            warnings: [],
        });
    });

    it("warns about each thing a kubelet leaves to a learner: no PID limit, no PID eviction, no reservations, anonymous access, the read-only port", () => {
        const r = judgeKubelet("n1", { podPidsLimit: -1, evictionHard: { "memory.available": "100Mi" }, readOnlyPort: 10255, authentication: { anonymous: { enabled: true } }, authorization: { mode: "AlwaysAllow" } });
        expect(r.warnings).toEqual([
            "n1: no per-pod PID limit (podPidsLimit -1): a learner's pod can fork until the node runs out of PIDs, which its kubelet and runtime share",
            "n1: no pid.available eviction threshold: the kubelet does not evict pods before the node runs out of PIDs",
            "n1: no cpu or memory kept from pods (systemReserved none, kubeReserved none): learners' pods may take what the kubelet and the system need",
            "n1: the kubelet answers anonymous requests (authentication.anonymous.enabled is not false)",
            "n1: the kubelet authorizes every request (authorization.mode AlwaysAllow)",
            "n1: the kubelet's read-only port 10255 is open, without authentication: only the egress fence keeps learners' pods off it",
        ]);
        // What a configz leaves out takes the kubelet's defaults: no limit, anonymous on.
        expect(judgeKubelet("n2", {}).warnings).toHaveLength(4);
    });

    const KUBE_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };

    it("says whether the fence's DNS allowance is the cluster's DNS: the lab has none and allows none", () => {
        expect(judgeDns(undefined, undefined)).toEqual({ lines: ["cluster DNS: none (no Service kube-system/kube-dns); learners' pods get no DNS, and the fence allows none"], warnings: [] });
        expect(judgeDns(KUBE_DNS, { namespace: "kube-system", selector: { "k8s-app": "kube-dns" } }).warnings).toEqual([]);
        expect(judgeDns(KUBE_DNS, undefined).warnings[0]).toContain("the cluster has no Service kube-system/kube-dns");
        expect(judgeDns(undefined, { namespace: "kube-system", selector: { "k8s-app": "kube-dns" } }).warnings[0]).toContain("the fence allows no DNS (podlab:network.dns: none): learners' pods cannot resolve names");
        expect(judgeDns(KUBE_DNS, { namespace: "kube-system", selector: { "app.kubernetes.io/name": "coredns" } }).warnings[0]).toBe(
            "cluster DNS: Service kube-system/kube-dns selects app.kubernetes.io/name=coredns, but the fence allows pods of kube-system labelled k8s-app=kube-dns: set podlab:network.dns to match, or learners' pods cannot resolve names",
        );
    });

    it("says where the API server's endpoints are, and warns when podlab's own clients are allowed elsewhere", () => {
        const lab = { url: "https://10.245.0.1:6444", addresses: ["10.245.0.1"], port: 6444 };
        expect(judgeApiServer(lab, { addresses: ["10.245.0.1"], port: 6444 })).toEqual({
            lines: ["API server endpoints 10.245.0.1:6444: only podlab's own API clients may reach them, at https://10.245.0.1:6444"],
            warnings: [],
        });
        expect(judgeApiServer(undefined, { addresses: ["192.0.2.10", "2001:db8::10"], port: 6443 }).lines[0]).toBe(
            "API server endpoints 192.0.2.10:6443, [2001:db8::10]:6443: no pod of a learner's environment may reach them (podlab:network.apiServer is not set)",
        );
        // A dual-stack API server whose IPv6 endpoint the allowance lacks.
        expect(judgeApiServer({ ...lab, addresses: ["192.0.2.10"], port: 6443 }, { addresses: ["192.0.2.10", "2001:db8::10"], port: 6443 }).warnings[0]).toContain("podlab:network.apiServer allows 192.0.2.10 port 6443");
    });

    it("warns about IPv6 in pods, seen in the API or inside a pod; none read inside a pod is clean", () => {
        expect(judgeIpv6({ apiIpv6: [], inPod: { pod: "podlab-c-ada/postgres", addresses: [] } })).toEqual({ lines: ["IPv6: none in the course's pods (podlab-c-ada/postgres: /proc/net/if_inet6 lists none but loopback)"], warnings: [] });
        expect(judgeIpv6({ apiIpv6: [], inPod: { pod: "p", addresses: ["fe80::1%eth0"] } }).warnings[0]).toMatch(/^IPv6: pods have IPv6 addresses \(fe80::1%eth0\): .*run course check, which tries it$/);
        expect(judgeIpv6({ apiIpv6: ["fd00::/64"] }).warnings).toHaveLength(1);
        expect(judgeIpv6({ apiIpv6: [] }).warnings).toEqual([]);
    });
});
