/**
 * A pod as the API server returns it (`kubectl get pods -o json`, or a GET of
 * the pods of a namespace): the fields podlab reads, in one place for the
 * pictures, the course's checks and the lesson's checks.
 */

/** A container's state: the one key set says which. */
export type ContainerState = {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
};

export interface ContainerStatus {
    name: string;
    ready: boolean;
    restartCount?: number;
    state?: ContainerState;
    lastState?: ContainerState;
}

export interface KubePod {
    metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string; creationTimestamp?: string };
    spec: {
        nodeName?: string;
        containers: Array<{
            name: string;
            image: string;
            ports?: Array<{ containerPort: number; protocol?: string }>;
            env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
        }>;
    };
    status?: {
        phase?: string;
        podIP?: string;
        /** Every IP of the pod, one per address family it has. */
        podIPs?: Array<{ ip: string }>;
        hostIP?: string;
        hostIPs?: Array<{ ip: string }>;
        reason?: string;
        message?: string;
        conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
        containerStatuses?: ContainerStatus[];
    };
}
