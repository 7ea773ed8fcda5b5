/** How many learners a course command runs at once by default, and why. */
import * as os from "os";

/**
 * Peak memory one learner's `up` adds while it runs: a Pulumi CLI and a
 * Kubernetes provider process. Measured (docs/benchmarks.md, "A course"; Node 24,
 * Pulumi 3.276): each learner at once beyond the first adds 266-284 MiB of RSS
 * to the command's process tree, which itself takes about 200 MiB; RSS counts
 * shared pages in every process, PSS is about half of it. The default
 * concurrency keeps the sum within the machine's free memory.
 */
export const MEMORY_PER_LEARNER_BYTES = 300 * 2 ** 20;

/** How many learners run at once unless --concurrency says: two per core, as far as free memory allows. */
export function defaultConcurrency(cpus = os.cpus().length, freeBytes = os.freemem()): number {
    return Math.max(1, Math.min(2 * cpus, Math.floor(freeBytes / MEMORY_PER_LEARNER_BYTES)));
}
