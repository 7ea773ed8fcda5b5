import { statusTable } from "../../../cli/course/status";
import { Learner } from "../../../cli/course/roster";

const learner = (name: string) => ({ name }) as Learner;
const pod = (learnerName: string, name: string, ready: boolean[], ip?: string) => ({
    metadata: { name, labels: { "podlab.dev/learner": learnerName } },
    spec: { containers: ready.map((_, i) => ({ name: `c${i}` })) },
    status: { phase: "Running", podIP: ip, containerStatuses: ready.map((r) => ({ ready: r })) },
});

describe("statusTable", () => {
    it("lists each learner's pods, sorted, with readiness and IP; a learner without pods is one row and not ready", () => {
        const { table, notReady } = statusTable(
            [learner("ada"), learner("grace"), learner("linus")],
            [pod("ada", "sidecar", [true, true], "10.0.0.3"), pod("ada", "postgres", [true], "10.0.0.2"), pod("grace", "postgres", [false])],
            ["ada", "grace"],
        );
        expect(table.split("\n")).toEqual([
            "LEARNER  POD       PHASE         READY  IP",
            "ada      postgres  Running       1/1    10.0.0.2",
            "ada      sidecar   Running       2/2    10.0.0.3",
            "grace    postgres  Running       0/1    -",
            "linus    -         not deployed  -      -",
        ]);
        expect(notReady).toBe(2);
    });
});
