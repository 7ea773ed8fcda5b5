import * as fs from "fs";
import * as path from "path";
import { ofType, resetMocks, settle, valueOf } from "../mocks";
import { ADMISSION_FENCE_DEFAULTS, AdmissionFence, admissionPolicySpec, courseFenceName, stackFenceName } from "../../components/admissionFence";
import { ADMISSION_RULES, HOST_FIELDS, LEARNER_REQUEST, celString, messageExpression, validationExpression } from "../../components/admissionRules";

beforeEach(() => resetMocks());

const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

/**
 * A CEL expression's brackets and string literals are balanced. Only the API
 * server evaluates CEL (tests/e2e/fences.e2e.ts proves every rule there); this
 * catches a generator that drops a parenthesis before a cluster is needed.
 */
function balanced(expr: string): boolean {
    const stack: string[] = [];
    const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
    for (let i = 0; i < expr.length; i++) {
        const ch = expr[i];
        if (ch === "'") {
            for (i++; i < expr.length && expr[i] !== "'"; i++) {
                if (expr[i] === "\\") {
                    i++;
                }
            }
            if (i >= expr.length) {
                return false;
            }
        } else if ("([{".includes(ch)) {
            stack.push(ch);
        } else if (ch in pairs && stack.pop() !== pairs[ch]) {
            return false;
        }
    }
    return stack.length === 0;
}

describe("the admission rules", () => {
    const spec = admissionPolicySpec(ADMISSION_FENCE_DEFAULTS);
    const validations = spec.validations as Array<{ expression: string; messageExpression: string; message: string; reason: string }>;

    it("each has its own name, and every refusal names it", () => {
        const names = ADMISSION_RULES.map((r) => r.name);
        expect(new Set(names).size).toBe(names.length);
        validations.forEach((v, i) => {
            expect(v.messageExpression.startsWith(celString(`podlab fence "${names[i]}": `))).toBe(true);
            expect(v.message.startsWith(`podlab fence "${names[i]}": `)).toBe(true);
            expect(v.reason).toBe("Forbidden");
        });
    });

    it("are the ones the issue asks for, and the ones found beyond it", () => {
        expect(ADMISSION_RULES.map((r) => r.name)).toEqual([
            "no-priority-class",
            "no-probe-host",
            "no-finalizers",
            "default-service-account",
            "no-service-account-token",
            "volume-kinds",
            "emptydir-size-limit",
            "no-ephemeral-containers",
            "no-node-choice",
            "no-cross-namespace-affinity",
            "bounded-grace-period",
            "cluster-dns-only",
            "no-host-aliases",
            "linux-pods",
            "reserved-labels",
        ]);
    });

    it("writes balanced CEL for every expression and message", () => {
        for (const v of validations) {
            expect(`${balanced(v.expression)} ${v.expression}`).toBe(`true ${v.expression}`);
            expect(`${balanced(v.messageExpression)} ${v.messageExpression}`).toBe(`true ${v.messageExpression}`);
            expect(v.message).not.toMatch(/\n/);
        }
    });

    it("refuses on UPDATE only what the old pod did not already break (controllers' and the kubelet's updates pass)", () => {
        for (const rule of ADMISSION_RULES) {
            const expr = validationExpression(rule, ADMISSION_FENCE_DEFAULTS);
            // oldObject is null on CREATE: it is read only behind the UPDATE guard.
            expect(expr.indexOf("oldObject")).toBeGreaterThan(expr.indexOf("request.operation == 'UPDATE' && "));
            expect(expr).toContain(rule.breaks("oldObject", ADMISSION_FENCE_DEFAULTS));
            expect(messageExpression(rule, ADMISSION_FENCE_DEFAULTS)).not.toContain("oldObject");
        }
    });

    it("applies reserved-labels only to requests by the namespace's own ServiceAccounts, every other rule to every pod", () => {
        for (const rule of ADMISSION_RULES) {
            const guarded = validationExpression(rule, ADMISSION_FENCE_DEFAULTS).startsWith(`!(${LEARNER_REQUEST}) || `);
            expect(`${rule.name} ${guarded}`).toBe(`${rule.name} ${rule.name === "reserved-labels"}`);
        }
        expect(LEARNER_REQUEST).toBe("request.userInfo.username.startsWith('system:serviceaccount:' + request.namespace + ':')");
    });

    it("looks for a host in every probe and lifecycle hook, by HTTP and TCP (a gRPC probe has no host field)", () => {
        expect(HOST_FIELDS).toEqual([
            "livenessProbe.httpGet.host",
            "livenessProbe.tcpSocket.host",
            "readinessProbe.httpGet.host",
            "readinessProbe.tcpSocket.host",
            "startupProbe.httpGet.host",
            "startupProbe.tcpSocket.host",
            "lifecycle.postStart.httpGet.host",
            "lifecycle.postStart.tcpSocket.host",
            "lifecycle.preStop.httpGet.host",
            "lifecycle.preStop.tcpSocket.host",
        ]);
        const probeHost = validations[ADMISSION_RULES.findIndex((r) => r.name === "no-probe-host")].expression;
        expect(probeHost).toContain("object.spec.containers.exists(c, ");
        expect(probeHost).toContain("object.?spec.?initContainers.orValue([]).exists(c, ");
        expect(probeHost).toContain("c.?lifecycle.?preStop.?tcpSocket.?host.orValue('') != ''");
    });

    it("takes its options: allowed priority classes and the longest grace period", () => {
        const opts = { allowedPriorityClasses: ["course-default"], maxGracePeriodSeconds: 10 };
        const [priority] = ADMISSION_RULES;
        expect(priority.breaks("object", opts)).toContain("in ['course-default']");
        const grace = ADMISSION_RULES.find((r) => r.name === "bounded-grace-period")!;
        expect(grace.breaks("object", opts)).toContain("orValue(0) > 10");
        expect(grace.advice(opts)).toContain("at 10 or less");
    });

    it("quotes CEL strings, apostrophes and backslashes included", () => {
        expect(celString("learners' pods \\ here")).toBe("'learners\\' pods \\\\ here'");
    });

    it("are each explained in docs/security.md", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "security.md"), "utf8");
        for (const rule of ADMISSION_RULES) {
            expect(`${rule.name}: ${doc.includes(`\`${rule.name}\``)}`).toBe(`${rule.name}: true`);
        }
    });
});

describe("AdmissionFence", () => {
    it("makes one policy and one binding, named after the component, denying in the selected namespaces", async () => {
        const fence = new AdmissionFence("podlab-fence-stack-podlab-dev", { namespaceSelector: { "kubernetes.io/metadata.name": "podlab-dev", "podlab.dev/fence": "stack" }, labels: { team: "a" } });
        expect(await valueOf(fence.policyName)).toBe("podlab-fence-stack-podlab-dev");
        await settle();
        const [policy] = ofType(POLICY);
        const [binding] = ofType(BINDING);
        expect(policy.inputs.metadata.name).toBe("podlab-fence-stack-podlab-dev");
        expect(policy.inputs.metadata.labels).toMatchObject({ team: "a", "app.kubernetes.io/part-of": "podlab" });
        expect(policy.inputs.spec.failurePolicy).toBe("Fail");
        expect(policy.inputs.spec.matchConstraints.resourceRules).toEqual([
            { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods", "pods/ephemeralcontainers"] },
        ]);
        expect(policy.inputs.spec.validations).toHaveLength(ADMISSION_RULES.length);
        expect(binding.inputs.metadata.name).toBe("podlab-fence-stack-podlab-dev");
        expect(binding.inputs.spec).toEqual({
            policyName: "podlab-fence-stack-podlab-dev",
            validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "podlab-dev", "podlab.dev/fence": "stack" } } },
        });
    });

    it("names a stack's fence and a course's apart", () => {
        expect(stackFenceName("podlab-dev")).toBe("podlab-fence-stack-podlab-dev");
        expect(courseFenceName("pods101")).toBe("podlab-fence-course-pods101");
        expect(stackFenceName("course-x")).not.toBe(courseFenceName("x"));
    });

    it("refuses an empty namespace selector (it would fence kube-system too), a bad name and a bad grace period", () => {
        expect(() => new AdmissionFence("f", { namespaceSelector: {} })).toThrow("AdmissionFence f: namespaceSelector is empty; it would select every namespace of the cluster");
        expect(() => new AdmissionFence("Bad_Name", { namespaceSelector: { a: "b" } })).toThrow('AdmissionFence Bad_Name: the name must be a DNS subdomain (it names cluster-scoped objects); got "Bad_Name"');
        expect(() => new AdmissionFence("f", { namespaceSelector: { a: "b" }, maxGracePeriodSeconds: 3600 })).toThrow("AdmissionFence f: maxGracePeriodSeconds must be an integer in 0-300; got 3600");
    });
});
