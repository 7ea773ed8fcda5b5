import { ofType, resetMocks, settle } from "../mocks";
import { EnvironmentQuota, LIMIT_RANGE_DEFAULTS, quotaHard } from "../../components/environmentQuota";
import { POSTGRES_DEFAULTS } from "../../components/postgresPod";
import { SIDECAR_DEFAULTS } from "../../components/sidecarPod";

beforeEach(() => resetMocks());

const COURSE_PODS = [[POSTGRES_DEFAULTS.resources], [POSTGRES_DEFAULTS.resources], [SIDECAR_DEFAULTS.nginxResources, SIDECAR_DEFAULTS.curlResources]];

describe("quotaHard", () => {
    it("makes room for podlab's pods plus the extra pods at the LimitRange defaults", () => {
        expect(quotaHard(COURSE_PODS, 2)).toEqual({
            pods: "5",
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
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        });
    });

    it("without extra pods, holds exactly podlab's pods", () => {
        expect(quotaHard([[LIMIT_RANGE_DEFAULTS]], 0)).toMatchObject({ pods: "1", "requests.cpu": "50m", "limits.memory": "128Mi" });
    });
});

describe("EnvironmentQuota", () => {
    it("creates a ResourceQuota and a LimitRange with container defaults in the namespace", async () => {
        const q = new EnvironmentQuota("ada-quota", { namespace: "podlab-ada", pods: COURSE_PODS, labels: { "podlab.dev/learner": "ada" } });
        await settle();
        const [quota] = ofType("kubernetes:core/v1:ResourceQuota");
        const [limits] = ofType("kubernetes:core/v1:LimitRange");
        expect(quota.inputs.metadata).toMatchObject({ name: "environment", namespace: "podlab-ada", labels: { "podlab.dev/learner": "ada" } });
        expect(quota.inputs.spec.hard).toEqual(q.hard);
        expect(q.hard.pods).toBe("5");
        expect(limits.inputs.metadata.namespace).toBe("podlab-ada");
        expect(limits.inputs.spec.limits).toEqual([{ type: "Container", defaultRequest: LIMIT_RANGE_DEFAULTS.requests, default: LIMIT_RANGE_DEFAULTS.limits }]);
    });

    it("refuses an extra pod count out of range, naming it", () => {
        expect(() => new EnvironmentQuota("q", { namespace: "ns", pods: COURSE_PODS, extraPods: -1 })).toThrow("EnvironmentQuota q: extraPods must be an integer in 0-20; got -1");
    });
});
