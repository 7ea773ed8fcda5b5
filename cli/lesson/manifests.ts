/**
 * The YAML files the exercise's steps offer a learner, rendered from the
 * learner's stack config: the images the cluster has (the lab's local ones on
 * the lab), the ports, uids and resources podlab itself would use. Each file
 * passes every fence a learner's pod meets: Pod Security restricted (non-root
 * numeric uids, no privilege escalation, capabilities dropped, seccomp
 * RuntimeDefault), the quota and LimitRange (requests and limits of cpu,
 * memory and ephemeral storage), no ServiceAccount token, emptyDirs with a
 * size limit, and a read-only root filesystem. The password comes from the
 * Secret podlab made (LessonPassword): no file holds one.
 */
import { LESSON_PASSWORD_SECRET } from "../../components/lessonPassword";
import { ResourceSpec } from "../../components/podSpec";
import { PGDATA, POSTGRES_DATA_MOUNT, POSTGRES_PASSWORD_KEY, POSTGRES_VOLUME_SIZE_LIMITS } from "../../components/postgresPod";
import { NGINX_TMP_SIZE_LIMIT } from "../../components/nginx";
import { StackConfig, postgresPodNames } from "../../components/stackConfig";

/** The pods the exercise has the learner make, by the names its files give them. */
export interface ExercisePods {
    postgres: [string, string];
    sidecar: string;
}

/** The exercise's pod names: the course's postgres names (`postgres`, `postgres2`), and `nginx-with-sidecar`. */
export function exercisePods(config: StackConfig): ExercisePods {
    const [first, second] = postgresPodNames(config.postgres.names[0], 2);
    return { postgres: [first, second], sidecar: "nginx-with-sidecar" };
}

/** The file name a step offers for a pod: `postgres-pod.yaml`, `postgres2-pod.yaml`, `nginx-with-sidecar.yaml`. */
export function podFileName(pod: string): string {
    return pod.endsWith("-sidecar") ? `${pod}.yaml` : `${pod}-pod.yaml`;
}

/** A YAML flow map of requests or limits, in the order Kubernetes prints them. */
function amounts(a: ResourceSpec["requests"]): string {
    return `{cpu: ${JSON.stringify(a.cpu)}, memory: ${a.memory}, ephemeral-storage: ${a["ephemeral-storage"]}}`;
}

/** One postgres server in a pod of its own, on the course's port. */
export function postgresPodYaml(config: StackConfig, name: string): string {
    const pg = config.postgres;
    const secretRef = `{secretKeyRef: {name: ${LESSON_PASSWORD_SECRET}, key: ${POSTGRES_PASSWORD_KEY}}}`;
    return `# ${podFileName(name)}: one PostgreSQL server in a pod of its own.
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: postgres
spec:
  automountServiceAccountToken: false # nothing in this pod talks to the API server
  securityContext: # Pod Security "restricted": not root, the runtime's seccomp profile
    runAsNonRoot: true
    runAsUser: ${pg.runAsUser} # the image's postgres user
    runAsGroup: ${pg.runAsUser}
    fsGroup: ${pg.runAsUser}
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: postgres
      image: ${pg.image}
      ports:
        - containerPort: ${pg.port} # each pod has its own IP, so every postgres pod can use this port
      env:
        - name: POSTGRES_PASSWORD # the server's password, from the Secret podlab made for you
          valueFrom: ${secretRef}
        - name: PGPASSWORD # the same password for psql inside this pod
          valueFrom: ${secretRef}
        - {name: PGPORT, value: "${pg.port}"}
        - {name: PGDATA, value: ${PGDATA}}
      resources: # what the pod is given and may use: the namespace's quota counts these
        requests: ${amounts(pg.resources.requests)}
        limits: ${amounts(pg.resources.limits)}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true # postgres writes only to the volumes below
        capabilities: {drop: [ALL]}
      readinessProbe: # Ready once postgres accepts connections
        exec: {command: [pg_isready, --host=127.0.0.1, --port=${pg.port}, --username=postgres]}
        periodSeconds: 5
      volumeMounts:
        - {name: data, mountPath: ${POSTGRES_DATA_MOUNT}}
        - {name: run, mountPath: /var/run/postgresql}
        - {name: tmp, mountPath: /tmp}
  volumes: # scratch space that lives as long as the pod, each with a size limit
    - {name: data, emptyDir: {sizeLimit: ${POSTGRES_VOLUME_SIZE_LIMITS.data}}}
    - {name: run, emptyDir: {sizeLimit: ${POSTGRES_VOLUME_SIZE_LIMITS.run}}}
    - {name: tmp, emptyDir: {sizeLimit: ${POSTGRES_VOLUME_SIZE_LIMITS.tmp}}}
`;
}

/**
 * nginx and a curl sidecar in one pod. nginx runs with its image's own
 * configuration (a learner cannot make ConfigMaps), which listens on
 * `podlab:sidecar.nginxPort` (8080 in both the public and the lab image).
 */
export function sidecarPodYaml(config: StackConfig, name: string): string {
    const s = config.sidecar;
    const url = `http://localhost:${s.nginxPort}/`;
    const loop = `while true; do curl -s -o /dev/null -w "GET ${url} -> %{http_code}\\n" ${url}; sleep ${s.fetchIntervalSeconds}; done`;
    return `# ${podFileName(name)}: nginx, and beside it in the same pod a sidecar that fetches its page over localhost.
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: nginx-with-sidecar
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    fsGroup: ${s.nginxUser}
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: nginx
      image: ${s.nginxImage}
      command: [nginx, -g, "daemon off;"] # the image's own config: port ${s.nginxPort}, writes only to /tmp
      ports:
        - containerPort: ${s.nginxPort}
      resources:
        requests: ${amounts(s.resources.nginx.requests)}
        limits: ${amounts(s.resources.nginx.limits)}
      securityContext:
        runAsUser: ${s.nginxUser}
        runAsGroup: ${s.nginxUser}
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      readinessProbe:
        httpGet: {path: /, port: ${s.nginxPort}}
        periodSeconds: 5
      volumeMounts:
        - {name: nginx-tmp, mountPath: /tmp}
    - name: sidecar # another container, same pod: same network namespace, so nginx is at localhost
      image: ${s.curlImage}
      command: [/bin/sh, -c, ${JSON.stringify(loop)}]
      resources:
        requests: ${amounts(s.resources.curl.requests)}
        limits: ${amounts(s.resources.curl.limits)}
      securityContext:
        runAsUser: ${s.curlUser}
        runAsGroup: ${s.curlUser}
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      readinessProbe: # Ready while nginx answers over the pod's shared localhost
        exec: {command: [curl, --fail, --silent, --max-time, "2", --output, /dev/null, ${url}]}
        periodSeconds: 5
  volumes:
    - {name: nginx-tmp, emptyDir: {sizeLimit: ${NGINX_TMP_SIZE_LIMIT}}}
`;
}
