/**
 * The nginx podlab runs, as pure builders (no Pulumi resource, like podSpec.ts):
 * its container, its volumes and the ConfigMap data it serves. Two users build
 * the same nginx from here: the SidecarPod component (the lesson's pod) and the
 * course check's canary (cli/course/canary.ts), which applies plain manifests
 * with kubectl. The canary must be the learners' own nginx, so that what it
 * shows about the cluster's NetworkPolicy holds for their pods; it imports
 * these builders, never the component.
 */
import * as k8s from "@pulumi/kubernetes";
import { ResourceSpec, container, emptyDir } from "./podSpec";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;

/** nginx's writable /tmp (pid file, temp paths); within the nginx container's 64Mi ephemeral-storage limit. */
export const NGINX_TMP_SIZE_LIMIT = "32Mi";

/** Where the ConfigMap's page is served from, independent of the image's own html root. */
const SITE_ROOT = "/srv/podlab";

/**
 * The nginx container of a podlab pod: started directly (image entrypoint
 * scripts try to rewrite config on a read-only root), its config and page from
 * the ConfigMap of {@link nginxSiteFiles} mounted by {@link nginxVolumes}, a
 * writable /tmp, ready once it serves `/`.
 */
export function nginxContainer(args: { image: string; uid: number; port: number; resources: ResourceSpec }): Container {
    return container({
        name: "nginx",
        image: args.image,
        uid: args.uid,
        command: ["nginx", "-g", "daemon off;"],
        ports: [{ name: "http", containerPort: args.port }],
        resources: args.resources,
        volumeMounts: [
            { name: "nginx-config", mountPath: "/etc/nginx/nginx.conf", subPath: "nginx.conf", readOnly: true },
            { name: "nginx-config", mountPath: `${SITE_ROOT}/index.html`, subPath: "index.html", readOnly: true },
            { name: "nginx-tmp", mountPath: "/tmp" },
        ],
        readinessProbe: { httpGet: { path: "/", port: args.port }, periodSeconds: 5, timeoutSeconds: 2 },
        livenessProbe: { tcpSocket: { port: args.port }, initialDelaySeconds: 5, periodSeconds: 10 },
    });
}

/** The volumes {@link nginxContainer} mounts: its ConfigMap and a size-limited /tmp. */
export function nginxVolumes(configMapName: string): Volume[] {
    return [{ name: "nginx-config", configMap: { name: configMapName } }, emptyDir("nginx-tmp", NGINX_TMP_SIZE_LIMIT)];
}

/** The ConfigMap data {@link nginxContainer} serves: its nginx.conf and the pod's page. */
export function nginxSiteFiles(podName: string, port: number): Record<string, string> {
    return { "nginx.conf": nginxConf(port), "index.html": nginxIndexHtml(podName) };
}

/** A complete nginx.conf that runs unprivileged on a read-only root: everything writable is under /tmp. */
export function nginxConf(port: number): string {
    return `worker_processes 1;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;
events { worker_connections 128; }
http {
    include /etc/nginx/mime.types;
    access_log /dev/stdout;
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    server {
        listen ${port};
        root ${SITE_ROOT};
        index index.html;
    }
}
`;
}

/** The page nginx serves in pod `podName`: what a fetch over localhost must return. */
export function nginxIndexHtml(podName: string): string {
    return `<!doctype html>
<html><head><title>podlab</title></head>
<body><h1>Hello from nginx in pod ${podName}</h1>
<p>You reached this page over localhost: containers in one pod share one network namespace.</p>
</body></html>
`;
}
