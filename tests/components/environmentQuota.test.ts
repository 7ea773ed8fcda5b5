import { ofType, resetMocks, settle } from "../mocks";
import { EnvironmentQuota, LIMIT_RANGE_DEFAULTS, limitRangeItems, quotaHard } from "../../components/environmentQuota";
import { LEARNER_RULES, learnerCreatableCounts } from "../../components/learnerAccess";
import { POSTGRES_DEFAULTS } from "../../components/postgresPod";
import { SIDECAR_DEFAULTS } from "../../components/sidecarPod";

beforeEach(() => resetMocks());

const COURSE_PODS = [[POSTGRES_DEFAULTS.resources], [POSTGRES_DEFAULTS.resources], [SIDECAR_DEFAULTS.resources.nginx, SIDECAR_DEFAULTS.resources.curl]];

describe("quotaHard", () => {
    it("makes room for podlab's pods plus the extra pods at the LimitRange defaults", () => {
        expect(quotaHard(COURSE_PODS, 2)).toEqual({
            pods: "5",
            // All pods, finished ones too: a restartPolicy: Never pod that exited frees a `pods` slot, not this one.
            "count/pods": "5",
            // 2 x 100m + 50m + 10m + 2 x 50m
            "requests.cpu": "360m",
            // 2 x 256Mi + 32Mi + 16Mi + 2 x 64Mi
            "requests.memory": "688Mi",
            // 2 x 256Mi + 16Mi + 8Mi + 2 x 32Mi
            "requests.ephemeral-storage": "600Mi",
            // 2 x 1 + 250m + 100m + 2 x 250m
            "limits.cpu": "2850m",
            // 2 x 512Mi + 64Mi + 32Mi + 2 x 128Mi
            "limits.memory": "1376Mi",
            // 2 x 1Gi + 64Mi + 32Mi + 2 x 128Mi
            "limits.ephemeral-storage": "2400Mi",
            // A generic ephemeral volume would make a PersistentVolumeClaim in the namespace.
            persistentvolumeclaims: "0",
            "requests.storage": "0",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        });
    });

    it("without extra pods, holds exactly podlab's pods", () => {
        expect(quotaHard([[LIMIT_RANGE_DEFAULTS]], 0)).toMatchObject({ pods: "1", "count/pods": "1", "requests.cpu": "50m", "limits.memory": "128Mi" });
    });

    it("counts every kind the learner's Role lets them create (today: pods)", () => {
        const creatable = learnerCreatableCounts();
        expect(creatable).toEqual(["count/pods"]);
        expect(Object.keys(quotaHard(COURSE_PODS, 2))).toEqual(expect.arrayContaining(creatable));
        // A Role that grew would be counted too, named as the quota names it.
        const grown = [...LEARNER_RULES, { apiGroups: ["", "batch"], resources: ["configmaps", "jobs", "jobs/status"], verbs: ["create"] }];
        expect(learnerCreatableCounts(grown)).toEqual(["count/configmaps", "count/configmaps.batch", "count/jobs", "count/jobs.batch", "count/pods"]);
    });
});

describe("limitRangeItems", () => {
    it("bounds one container by the largest podlab runs, and one pod by its largest pod", () => {
        expect(limitRangeItems(COURSE_PODS)).toEqual([
            {
                type: "Container",
                defaultRequest: LIMIT_RANGE_DEFAULTS.requests,
                default: LIMIT_RANGE_DEFAULTS.limits,
                // postgres's limits: 1 cpu, 512Mi, 1Gi.
                max: { cpu: "1000m", memory: "512Mi", "ephemeral-storage": "1024Mi" },
            },
            // postgres again: the sidecar pod's two containers sum to less.
            { type: "Pod", max: { cpu: "1000m", memory: "512Mi", "ephemeral-storage": "1024Mi" } },
        ]);
    });

    it("always admits a learner's pod of one default-sized container, whatever podlab runs", () => {
        const tiny = { requests: { cpu: "1m", memory: "1Mi", "ephemeral-storage": "1Mi" }, limits: { cpu: "10m", memory: "8Mi", "ephemeral-storage": "8Mi" } };
        const [container, pod] = limitRangeItems([[tiny, tiny]]);
        expect(container.max).toEqual({ cpu: "250m", memory: "128Mi", "ephemeral-storage": "128Mi" });
        expect(pod.max).toEqual({ cpu: "250m", memory: "128Mi", "ephemeral-storage": "128Mi" });
    });
});

describe("EnvironmentQuota", () => {
    it("creates a ResourceQuota and a LimitRange with container defaults and maximums in the namespace", async () => {
        const q = new EnvironmentQuota("ada-quota", { namespace: "podlab-ada", pods: COURSE_PODS, labels: { "podlab.dev/learner": "ada" } });
        await settle();
        const [quota] = ofType("kubernetes:core/v1:ResourceQuota");
        const [limits] = ofType("kubernetes:core/v1:LimitRange");
        expect(quota.inputs.metadata).toMatchObject({ name: "environment", namespace: "podlab-ada", labels: { "podlab.dev/learner": "ada" } });
        expect(quota.inputs.spec.hard).toEqual(q.hard);
        expect(q.hard.pods).toBe("5");
        expect(limits.inputs.metadata.namespace).toBe("podlab-ada");
        expect(limits.inputs.spec.limits).toEqual(limitRangeItems(COURSE_PODS));
    });

    it("refuses an extra pod count out of range, naming it", () => {
        expect(() => new EnvironmentQuota("q", { namespace: "ns", pods: COURSE_PODS, extraPods: -1 })).toThrow("EnvironmentQuota q: extraPods must be an integer in 0-20; got -1");
    });
});
