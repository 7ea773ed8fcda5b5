import { EventEmitter } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { WebSocket } from "ws";
import { learnerByName } from "../../../cli/course/environment";
import { CourseLayout } from "../../../cli/course/layout";
import { LearnerCredential, LessonStep } from "../../../cli/lesson/model";
import { StepResult } from "../../../cli/checkReport";
import { SecretBook } from "../../../cli/serve/auth";
import { HttpError } from "../../../cli/serve/http";
import { ensureLinkSecrets } from "../../../cli/serve/links";
import { SharedCri } from "../../../cli/serve/picture";
import { readProgress } from "../../../cli/serve/records";
import { LearnerCluster, Workspace, kubeconfigToken } from "../../../cli/serve/workspace";

const STEPS: LessonStep[] = [
    { id: "postgres", title: "A postgres pod", paragraphs: ["p"], commands: ["kubectl apply -f postgres-pod.yaml"], files: { "postgres-pod.yaml": "kind: Pod" } },
    { id: "sidecar", title: "A sidecar", paragraphs: [], commands: [], files: {} },
];

class FakeSocket extends EventEmitter {
    readonly OPEN = 1;
    readyState = 1;
    sent: string[] = [];
    send(d: string) {
        this.sent.push(d);
    }
    close() {
        this.readyState = 3;
        this.emit("close");
    }
}

function kubeconfig(token: string): string {
    return `apiVersion: v1\nkind: Config\nusers:\n- name: ada\n  user:\n    token: ${token}\n`;
}

function setUp(check: (c: LearnerCredential, step: string) => Promise<StepResult>) {
    const layout = new CourseLayout("pods101", fs.mkdtempSync(path.join(os.tmpdir(), "podlab-ws-")));
    const { links } = ensureLinkSecrets(layout, ["ada", "grace"]);
    for (const l of ["ada", "grace"]) {
        fs.mkdirSync(layout.learnerOut(l), { recursive: true });
        fs.writeFileSync(layout.kubeconfig(l), kubeconfig(`token-of-${l}`), { mode: 0o600 });
        fs.mkdirSync(layout.workspace(l), { recursive: true });
    }
    const watched: string[] = [];
    const saved: string[] = [];
    const cluster: LearnerCluster = {
        openShell: async () => Promise.reject(new Error("no shells here")),
        saveFile: async (file, namespace, name, content) => (saved.push(`${file} ${namespace} ${name} ${content}`), `/home/learner/${name}`),
        watchPods: (file, namespace, onPods) => {
            watched.push(`${file} ${namespace}`);
            setImmediate(() => onPods([]));
            return { token: kubeconfigToken(file)!, stop: () => undefined };
        },
    };
    const workspace = new Workspace({
        layout,
        roster: [learnerByName("pods101", "ada"), learnerByName("pods101", "grace")],
        secrets: new SecretBook(links),
        lesson: { steps: () => STEPS, check },
        cluster,
        cri: new SharedCri(async () => ({ visible: false, reason: "no runtime in unit tests" })),
        stuckAfterMinutes: 5,
    });
    return { layout, workspace, watched, saved };
}

const passing = async (c: LearnerCredential, step: string): Promise<StepResult> => ({ step, learner: c.learner, status: "pass", summary: `${step} passed`, evidence: [], checkedAt: new Date().toISOString() });

describe("the workspace", () => {
    it("runs a step's check with the learner's own credential, records it, and pushes it to the learner's page and the board", async () => {
        const creds: LearnerCredential[] = [];
        const { layout, workspace } = setUp(async (c, step) => (creds.push(c), passing(c, step)));
        const learnerPage = new FakeSocket();
        const instructorPage = new FakeSocket();
        workspace.openLearnerEvents("ada", learnerPage as unknown as WebSocket);
        workspace.openInstructorEvents(instructorPage as unknown as WebSocket);
        const result = await workspace.check("ada", "postgres");
        expect(creds).toEqual([{ learner: "ada", namespace: "podlab-pods101-ada", kubeconfig: layout.kubeconfig("ada") }]);
        expect(result.status).toBe("pass");
        expect(readProgress(layout, "ada").postgres.latest).toEqual(result);
        expect(learnerPage.sent.map((s) => JSON.parse(s).type)).toContain("result");
        await new Promise((r) => setTimeout(r, 300));
        const boards = instructorPage.sent.map((s) => JSON.parse(s)).filter((m) => m.type === "board");
        expect(boards.at(-1).board.rows.find((r: { learner: string }) => r.learner === "ada").cells[0].status).toBe("pass");
        expect(fs.statSync(path.join(layout.workspace("ada"), "steps.json")).mode & 0o777).toBe(0o600);
        workspace.shutdown();
    });

    it("refuses an unknown step, a second check at once, and a learner without an environment", async () => {
        let release: () => void = () => undefined;
        const { layout, workspace } = setUp((c, step) => new Promise((r) => (release = () => r(passing(c, step)))));
        await expect(workspace.check("ada", "nope")).rejects.toMatchObject({ status: 404 });
        const first = workspace.check("ada", "postgres");
        await expect(workspace.check("ada", "sidecar")).rejects.toMatchObject({ status: 409 });
        release();
        await first;
        fs.rmSync(layout.kubeconfig("grace"));
        await expect(workspace.check("grace", "postgres")).rejects.toBeInstanceOf(HttpError);
        workspace.shutdown();
    });

    it("a check that fails to run is a 502 with its reason, and records nothing", async () => {
        const { layout, workspace } = setUp(async () => Promise.reject(new Error("kubectl not found")));
        await expect(workspace.check("ada", "postgres")).rejects.toMatchObject({ status: 502, message: "the check could not run: kubectl not found" });
        expect(readProgress(layout, "ada")).toEqual({});
        workspace.shutdown();
    });

    it("shows the learner their namespace, steps and latest results", async () => {
        const { workspace } = setUp(passing);
        await workspace.check("grace", "sidecar");
        const view = (await workspace.learnerView("grace")) as Record<string, any>;
        expect(view).toMatchObject({ course: "pods101", learner: "grace", namespace: "podlab-pods101-grace", deployed: true, steps: STEPS });
        expect(Object.keys(view.results)).toEqual(["sidecar"]);
        workspace.shutdown();
    });

    it("draws a learner's picture from a watch with that learner's kubeconfig", async () => {
        const { layout, workspace, watched } = setUp(passing);
        const picture = await workspace.picture("grace");
        expect(watched).toEqual([`${layout.kubeconfig("grace")} podlab-pods101-grace`]);
        expect(picture).toMatchObject({ type: "picture", learner: "grace", namespace: "podlab-pods101-grace" });
        expect(picture.html).toContain("No pods in podlab-pods101-grace yet");
        workspace.shutdown();
    });

    it("saves only the lesson's own files, by their names, in the learner's workbench with their kubeconfig", async () => {
        const { layout, workspace, saved } = setUp(passing);
        expect(await workspace.saveFile("ada", "postgres", "postgres-pod.yaml")).toEqual({ path: "/home/learner/postgres-pod.yaml" });
        expect(saved).toEqual([`${layout.kubeconfig("ada")} podlab-pods101-ada postgres-pod.yaml kind: Pod`]);
        for (const [step, name] of [["postgres", "../../etc/passwd"], ["sidecar", "postgres-pod.yaml"], ["postgres", "__proto__"], ["nope", "x"]]) {
            await expect(workspace.saveFile("ada", step, name)).rejects.toMatchObject({ status: 404 });
        }
        expect(saved).toHaveLength(1);
        workspace.shutdown();
    });
});
