import { show } from "./podSpecs";
import { listOf, podRule } from "./podRule";

/** Volume kinds a pod may use; projected only from these sources (a serviceAccountToken source is no-service-account-token's). */
export const ALLOWED_VOLUME_KINDS: readonly string[] = ["emptyDir", "configMap", "secret", "downwardAPI", "projected"];
const PROJECTED_SOURCES: readonly string[] = ["configMap", "secret", "downwardAPI", "serviceAccountToken"];

/**
 * Volumes only of the kinds the lesson needs: none reaches the node (hostPath),
 * storage outside the quota (a generic ephemeral volume makes a
 * PersistentVolumeClaim in the namespace), or the network (nfs, iscsi...).
 */
export const volumeKinds = podRule("volume-kinds", `Volumes only of the kinds ${ALLOWED_VOLUME_KINDS.join(", ")}: no host paths, claims or network storage.`, (pod) =>
    listOf(pod.spec.volumes).flatMap((v, i) => {
        const kinds = Object.keys(v ?? {}).filter((k) => k !== "name");
        const name = typeof v?.name === "string" && v.name !== "" ? v.name : `volumes[${i}]`;
        const other = kinds.filter((k) => !ALLOWED_VOLUME_KINDS.includes(k));
        if (other.length > 0) {
            return [`volume ${name} is of kind ${other.join(", ")}, not one of ${ALLOWED_VOLUME_KINDS.join(", ")} (${show(v)})`];
        }
        const sources = listOf(v?.projected?.sources).flatMap((s) => Object.keys(s ?? {})).filter((k) => !PROJECTED_SOURCES.includes(k));
        return sources.length > 0 ? [`volume ${name} projects ${sources.join(", ")}, not only configMap, secret or downwardAPI (${show(v.projected)})`] : [];
    }),
);
