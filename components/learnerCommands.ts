/** Ready-to-paste commands for the course's checks, built from a deployment's outputs. */

/** Fetch nginx's page from inside the sidecar container, over the pod's shared localhost. */
export function sidecarCurlCommand(namespace: string, podName: string, port: number): string {
    return `kubectl -n ${namespace} exec ${podName} -c sidecar -- curl -s http://localhost:${port}/`;
}

/** Connect to one postgres pod by its own IP, with the password read from its Secret. */
export function psqlCommand(namespace: string, secretName: string, podIp: string, port: number): string {
    return (
        `PGPASSWORD="$(kubectl -n ${namespace} get secret ${secretName} -o jsonpath='{.data.password}' | base64 -d)" ` +
        `psql -h ${podIp} -p ${port} -U postgres -c 'select inet_server_addr(), inet_server_port()'`
    );
}

/**
 * From inside one pod, connect to a postgres pod at its own IP (the lesson's
 * "same port, different IPs"), with the password read from that pod's Secret.
 * It runs wherever kubectl reaches the cluster: no route to pod IPs needed.
 */
export function podToPodPsqlCommand(namespace: string | undefined, fromPod: string, secretName: string, podIp: string, port: number): string {
    // Without a namespace: kubectl's default, as in the workbench, whose kubeconfig names the learner's.
    const kubectl = namespace === undefined ? "kubectl" : `kubectl -n ${namespace}`;
    return (
        `${kubectl} exec ${fromPod} -- env PGPASSWORD="$(${kubectl} get secret ${secretName} -o jsonpath='{.data.password}' | base64 -d)" ` +
        `psql -h ${podIp} -p ${port} -U postgres -c 'select inet_server_addr(), inet_server_port()'`
    );
}

/**
 * A `sh -c` script: psql to `$1`:`$2` as postgres, the password read from
 * stdin (never an argument: process lists, the API server's request log),
 * asking the server which address and port answered. The course check and the
 * lesson's step checks run it in a learner's postgres pod with their credential.
 */
export const PSQL_WITH_PASSWORD_ON_STDIN = `IFS= read -r PGPASSWORD && export PGPASSWORD && exec psql -h "$1" -p "$2" -U postgres -c 'select inet_server_addr(), inet_server_port()'`;
