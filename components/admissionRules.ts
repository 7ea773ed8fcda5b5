/**
 * The rules the API server enforces on every Pod in a fenced namespace, as
 * data: each rule is a CEL predicate ("this pod breaks the rule") and a message
 * that names the rule and says what to write instead. admissionFence.ts turns
 * them into one ValidatingAdmissionPolicy; docs/security.md explains each, and
 * tests/e2e/fences.e2e.ts proves each with a learner's own credential.
 *
 * The API server is the only CEL engine here, so the predicates are proven
 * end to end; the unit tests check their shape.
 */

/** What a rule's predicates may depend on besides the object. */
export interface AdmissionRuleOptions {
    /** PriorityClasses a pod may name (a cluster whose globalDefault class the Priority plugin writes into every pod must list it). */
    readonly allowedPriorityClasses: readonly string[];
    /** The longest grace period a pod (or a liveness/startup probe) may ask for, in seconds. */
    readonly maxGracePeriodSeconds: number;
}

export interface AdmissionRule {
    /** Named in every refusal: `podlab fence "<name>": ...`. */
    readonly name: string;
    /** Every pod in a fenced namespace, or only requests made by one of that namespace's ServiceAccounts (a learner). */
    readonly appliesTo: "every-pod" | "learner-requests";
    /** CEL, true when the pod `o` (`object` or `oldObject`) breaks the rule. */
    readonly breaks: (o: string, opts: AdmissionRuleOptions) => string;
    /** CEL string: what in `object` breaks it (evaluated only when refusing). */
    readonly found: (opts: AdmissionRuleOptions) => string;
    /** What to write instead, and why the rule exists (plain text, ends the message). */
    readonly advice: (opts: AdmissionRuleOptions) => string;
}

/** `'text'` as a CEL string literal. */
export function celString(text: string): string {
    return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A CEL list literal of strings. */
function celList(items: readonly string[]): string {
    return `[${items.map(celString).join(", ")}]`;
}

/** `o.?a.?b.?c`: a field path that is absent rather than an error when any part is missing. */
function opt(o: string, path: string): string {
    return `${o}.${path.split(".").map((p) => `?${p}`).join(".")}`;
}

/*
 * The API server type-checks every expression against the Pod's schema, where
 * containers and initContainers (and affinity's required and preferred terms)
 * are lists of different types that `+` will not join. So each list is
 * searched on its own, and only names (strings) are joined.
 */
const CONTAINER_LISTS = (o: string) => [`${o}.spec.containers`, `${opt(o, "spec.initContainers")}.orValue([])`];

/** True when some app or init container `c` of pod `o` meets `pred` (ephemeral containers have their own rule). */
function anyContainer(o: string, pred: (c: string) => string): string {
    return `(${CONTAINER_LISTS(o).map((list) => `${list}.exists(c, ${pred("c")})`).join(" || ")})`;
}

/** The names of the app and init containers of pod `o` that meet `pred`, as a CEL list of strings. */
function containerNames(o: string, pred: (c: string) => string): string {
    return `(${CONTAINER_LISTS(o).map((list) => `${list}.filter(c, ${pred("c")}).map(c, c.name)`).join(" + ")})`;
}

const volumes = (o: string) => `${opt(o, "spec.volumes")}.orValue([])`;

/** Where a container can ask the kubelet to connect somewhere: probes and lifecycle hooks, each by HTTP or TCP. */
export const HOST_FIELDS: readonly string[] = ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"].flatMap((h) =>
    ["httpGet", "tcpSocket"].map((action) => `${h}.${action}.host`),
);

const setsHost = (c: string) => `(${HOST_FIELDS.map((f) => `${opt(c, f)}.orValue('') != ''`).join(" || ")})`;

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every pod (before validating admission runs). */
export const DEFAULT_TOLERATION_KEYS: readonly string[] = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];
const extraToleration = (t: string) => `!(${opt(t, "key")}.orValue('') in ${celList(DEFAULT_TOLERATION_KEYS)} && ${opt(t, "effect")}.orValue('') == 'NoExecute')`;

/** Projected volume sources a pod may use; a serviceAccountToken source is left to the token rule, which says what to write instead. */
const PROJECTED_SOURCES = ["configMap", "secret", "downwardAPI", "serviceAccountToken"];
/** Volume kinds a pod may use: none of them reaches beyond the pod, the node's disk past a limit, or storage outside the quota. */
export const ALLOWED_VOLUME_KINDS: readonly string[] = ["emptyDir", "configMap", "secret", "downwardAPI", "projected"];
const disallowedVolume = (v: string) =>
    `!(${ALLOWED_VOLUME_KINDS.filter((k) => k !== "projected")
        .map((k) => `has(${v}.${k})`)
        .join(" || ")} || (has(${v}.projected) && ${opt(v, "projected.sources")}.orValue([]).all(s, ${PROJECTED_SOURCES.map((k) => `has(s.${k})`).join(" || ")})))`;
const tokenSource = (v: string) => `${opt(v, "projected.sources")}.orValue([]).exists(s, has(s.serviceAccountToken))`;

const reachesOtherNamespaces = (t: string) => `(has(${t}.namespaceSelector) || ${opt(t, "namespaces")}.orValue([]).exists(n, n != request.namespace))`;

/** True when a term of pod `o`'s podAffinity or podAntiAffinity, required or preferred, reaches other namespaces. */
function affinityReachesOut(o: string): string {
    return `(${["podAffinity", "podAntiAffinity"]
        .flatMap((kind) => [
            `${opt(o, `spec.affinity.${kind}.requiredDuringSchedulingIgnoredDuringExecution`)}.orValue([]).exists(t, ${reachesOtherNamespaces("t")})`,
            `${opt(o, `spec.affinity.${kind}.preferredDuringSchedulingIgnoredDuringExecution`)}.orValue([]).exists(w, ${reachesOtherNamespaces("w.podAffinityTerm")})`,
        ])
        .join(" || ")})`;
}

/** An emptyDir volume `v` without a sizeLimit. The schema's Quantity is not a field the type checker knows, hence `dyn`. */
const unboundedEmptyDir = (v: string) => `(has(${v}.emptyDir) && !has(dyn(${v}.emptyDir).sizeLimit))`;

/** The probes whose own terminationGracePeriodSeconds applies when they kill a container. */
const KILLING_PROBES = ["livenessProbe", "startupProbe"];

/** Label keys under this prefix are podlab's own; a learner's pod may not carry them (a workbench label would borrow the workbench's network rights). */
export const RESERVED_LABEL_PREFIX = "podlab.dev/";

/**
 * The rules, in the order the API server checks them (a pod that breaks two
 * is refused naming the first). Each is refused for what it would let one
 * learner do to the others, the node or the cluster; docs/security.md says which.
 */
export const ADMISSION_RULES: readonly AdmissionRule[] = [
    {
        name: "no-priority-class",
        appliesTo: "every-pod",
        breaks: (o, opts) => `${opt(o, "spec.priorityClassName")}.orValue('') != '' && !(${o}.spec.priorityClassName in ${celList(opts.allowedPriorityClasses)})`,
        found: () => `'priorityClassName ' + object.spec.priorityClassName`,
        advice: () =>
            "leave priorityClassName out: a priority class lets a pod preempt other learners' pods, and a critical one is never evicted by the kubelet",
    },
    {
        name: "no-probe-host",
        appliesTo: "every-pod",
        breaks: (o) => anyContainer(o, setsHost),
        found: () => `'a host in a probe or lifecycle hook of container ' + ${containerNames("object", setsHost)}.join(', ')`,
        advice: () =>
            "leave host out of httpGet and tcpSocket probes and hooks (they then reach the pod's own IP): the kubelet runs them from the node, past the network fence",
    },
    {
        name: "no-finalizers",
        appliesTo: "every-pod",
        breaks: (o) => `size(${opt(o, "metadata.finalizers")}.orValue([])) > 0`,
        found: () => `'finalizers ' + object.metadata.finalizers.join(', ')`,
        advice: () => "leave metadata.finalizers out: a pod that cannot go away keeps its namespace Terminating, and down and reset never finish",
    },
    {
        name: "default-service-account",
        appliesTo: "every-pod",
        breaks: (o) => `!(${opt(o, "spec.serviceAccountName")}.orValue('') in ['', 'default'])`,
        found: () => `'serviceAccountName ' + object.spec.serviceAccountName`,
        advice: () => "leave serviceAccountName out (or write default): a pod here runs as the namespace's default ServiceAccount, which has no rights",
    },
    {
        name: "no-service-account-token",
        appliesTo: "every-pod",
        breaks: (o) => `${opt(o, "spec.automountServiceAccountToken")}.orValue(false) == true || ${volumes(o)}.exists(v, ${tokenSource("v")})`,
        found: () =>
            `object.spec.?automountServiceAccountToken.orValue(false) == true ? 'automountServiceAccountToken: true' : ` +
            `'a serviceAccountToken in volume ' + ${volumes("object")}.filter(v, ${tokenSource("v")}).map(v, v.name).join(', ')`,
        advice: () =>
            "write automountServiceAccountToken: false (or leave it out) and no projected serviceAccountToken source: a token in a pod outlives the learner's credential; your kubeconfig is your credential",
    },
    {
        name: "volume-kinds",
        appliesTo: "every-pod",
        breaks: (o) => `${volumes(o)}.exists(v, ${disallowedVolume("v")})`,
        found: () => `'volume ' + ${volumes("object")}.filter(v, ${disallowedVolume("v")}).map(v, v.name).join(', ')`,
        advice: () =>
            `use only ${ALLOWED_VOLUME_KINDS.join(", ")} volumes (projected from configMap, secret or downwardAPI): other kinds reach the node, or make PersistentVolumeClaims the quota cannot see`,
    },
    {
        name: "emptydir-size-limit",
        appliesTo: "every-pod",
        breaks: (o) => `${volumes(o)}.exists(v, ${unboundedEmptyDir("v")})`,
        found: () => `'emptyDir volume ' + ${volumes("object")}.filter(v, ${unboundedEmptyDir("v")}).map(v, v.name).join(', ')`,
        advice: () => "give every emptyDir a sizeLimit (e.g. sizeLimit: 64Mi): without one, one pod can fill the node's disk or memory for everyone",
    },
    {
        name: "no-ephemeral-containers",
        appliesTo: "every-pod",
        breaks: (o) => `size(${opt(o, "spec.ephemeralContainers")}.orValue([])) > 0`,
        found: () => `'ephemeral container ' + object.spec.ephemeralContainers.map(c, c.name).join(', ')`,
        advice: () => "use kubectl exec, or a pod of your own: an ephemeral container declares no resources, so it escapes the quota and the LimitRange",
    },
    {
        name: "no-node-choice",
        appliesTo: "every-pod",
        breaks: (o) =>
            `${opt(o, "spec.nodeName")}.orValue('') != '' || ${opt(o, "spec.runtimeClassName")}.orValue('') != '' || ${opt(o, "spec.tolerations")}.orValue([]).exists(t, ${extraToleration("t")})`,
        found: () =>
            `object.spec.?nodeName.orValue('') != '' ? 'nodeName ' + object.spec.nodeName : object.spec.?runtimeClassName.orValue('') != '' ? 'runtimeClassName ' + object.spec.runtimeClassName : ` +
            `'tolerations of ' + object.spec.tolerations.filter(t, ${extraToleration("t")}).map(t, t.?key.orValue('every taint')).join(', ')`,
        advice: () =>
            "leave nodeName, runtimeClassName and tolerations out: the scheduler places a learner's pods, and a toleration or a nodeName lets a pod onto nodes kept from learners (the control plane's)",
    },
    {
        name: "no-cross-namespace-affinity",
        appliesTo: "every-pod",
        breaks: (o) => affinityReachesOut(o),
        found: () => `'a pod affinity term with namespaces or a namespaceSelector'`,
        advice: () =>
            "keep pod affinity and anti-affinity to your own namespace (no namespaces, no namespaceSelector): a required anti-affinity term against other learners' pods keeps theirs off the node",
    },
    {
        name: "bounded-grace-period",
        appliesTo: "every-pod",
        breaks: (o, opts) =>
            `${opt(o, "spec.terminationGracePeriodSeconds")}.orValue(0) > ${opts.maxGracePeriodSeconds} || ` +
            anyContainer(o, (c) => KILLING_PROBES.map((p) => `${opt(c, `${p}.terminationGracePeriodSeconds`)}.orValue(0) > ${opts.maxGracePeriodSeconds}`).join(" || ")),
        found: () => `'terminationGracePeriodSeconds ' + string(object.spec.?terminationGracePeriodSeconds.orValue(0)) + ' (pod) or longer in a probe'`,
        advice: (opts) =>
            `keep terminationGracePeriodSeconds at ${opts.maxGracePeriodSeconds} or less, in the pod and its probes: a pod that ignores SIGTERM holds its namespace Terminating for its whole grace period`,
    },
    {
        name: "cluster-dns-only",
        appliesTo: "every-pod",
        breaks: (o) => `${opt(o, "spec.dnsPolicy")}.orValue('ClusterFirst') != 'ClusterFirst' || size(${opt(o, "spec.dnsConfig.nameservers")}.orValue([])) > 0`,
        found: () => `'dnsPolicy ' + object.spec.?dnsPolicy.orValue('ClusterFirst') + ' with nameservers [' + object.spec.?dnsConfig.?nameservers.orValue([]).join(', ') + ']'`,
        advice: () => "leave dnsPolicy out (ClusterFirst) and dnsConfig without nameservers: a pod resolves names through the cluster's DNS only",
    },
    {
        name: "no-host-aliases",
        appliesTo: "every-pod",
        breaks: (o) => `size(${opt(o, "spec.hostAliases")}.orValue([])) > 0`,
        found: () => `'hostAliases for ' + object.spec.hostAliases.map(a, a.ip).join(', ')`,
        advice: () => "leave hostAliases out: a name the lesson uses (localhost, a pod's name) must mean what it means everywhere else",
    },
    {
        name: "linux-pods",
        appliesTo: "every-pod",
        breaks: (o) => `${opt(o, "spec.os.name")}.orValue('linux') != 'linux'`,
        found: () => `'os ' + object.spec.os.name`,
        advice: () => "leave spec.os out (or write linux): Pod Security skips its Linux checks for a pod that says it is not a Linux pod",
    },
    {
        name: "reserved-labels",
        appliesTo: "learner-requests",
        breaks: (o) => `${opt(o, "metadata.labels")}.orValue({}).exists(k, k.startsWith(${celString(RESERVED_LABEL_PREFIX)}))`,
        found: () => `'label ' + object.metadata.labels.filter(k, k.startsWith(${celString(RESERVED_LABEL_PREFIX)})).join(', ')`,
        advice: () =>
            `leave labels under ${RESERVED_LABEL_PREFIX} to podlab: they mark podlab's own pods (the workbench's network rights, the course's learner), and a learner's pod must not pass for one`,
    },
];

/** A request made by one of the namespace's own ServiceAccounts: a learner's credential, or a pod of theirs. */
export const LEARNER_REQUEST = "request.userInfo.username.startsWith('system:serviceaccount:' + request.namespace + ':')";

/**
 * A rule's validation expression: true (admit) unless the pod breaks it. On an
 * UPDATE, only a new break is refused: a pod that already broke the rule
 * (one created before the policy existed) can still have its finalizers
 * removed or its labels changed by the controllers and the admin.
 */
export function validationExpression(rule: AdmissionRule, opts: AdmissionRuleOptions): string {
    const admitted = `!(${rule.breaks("object", opts)}) || (request.operation == 'UPDATE' && (${rule.breaks("oldObject", opts)}))`;
    return rule.appliesTo === "learner-requests" ? `!(${LEARNER_REQUEST}) || ${admitted}` : admitted;
}

/** The refusal's message: the rule's name, what broke it, and what to write instead. */
export function messageExpression(rule: AdmissionRule, opts: AdmissionRuleOptions): string {
    return `${celString(`podlab fence "${rule.name}": `)} + (${rule.found(opts)}) + ${celString(`: ${rule.advice(opts)}`)}`;
}

/** The message when the expression above cannot be evaluated (the API server then uses this one). */
export function staticMessage(rule: AdmissionRule, opts: AdmissionRuleOptions): string {
    return `podlab fence "${rule.name}": ${rule.advice(opts)}`;
}
