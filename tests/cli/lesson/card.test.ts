import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderExerciseCard, writeStepFiles } from "../../../cli/lesson/card";
import { lessonSteps } from "../../../cli/lesson/steps";
import { resolveStackConfig } from "../../../components/stackConfig";
import { NETWORK_WITH_API_SERVER } from "../../apiServer";

const config = resolveStackConfig({ mode: "exercise", workbench: { enabled: true }, network: NETWORK_WITH_API_SERVER, namespace: "podlab-c-ada" }, { project: "podlab", stack: "c-ada" });

describe("an exercise learner's card", () => {
    it("lists the steps with their commands, and the files beside it", () => {
        const card = renderExerciseCard({ course: "c", learner: "ada", expires: "2026-12-20T17:00:00.000Z", namespace: "podlab-c-ada", steps: lessonSteps(config) });
        const lines = card.split("\n");
        expect(lines[0]).toBe("podlab course c: ada (exercise)");
        expect(lines).toContain("files:      ./postgres-pod.yaml, ./postgres2-pod.yaml, ./nginx-with-sidecar.yaml");
        expect(lines).toContain('  export KUBECONFIG="$PWD/kubeconfig"');
        expect(lines).toContain("1. A postgres pod on port 5432");
        expect(lines).toContain("  kubectl apply -f postgres-pod.yaml");
        expect(lines).toContain("  kubectl exec -it nginx-with-sidecar -c sidecar -- sh");
    });

    it("writes each step's files where the card says", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-card-"));
        const steps = lessonSteps(config);
        expect(writeStepFiles(dir, steps)).toEqual(["postgres-pod.yaml", "postgres2-pod.yaml", "nginx-with-sidecar.yaml"]);
        expect(fs.readFileSync(path.join(dir, "postgres-pod.yaml"), "utf8")).toBe(steps[0].files["postgres-pod.yaml"]);
        fs.rmSync(dir, { recursive: true });
    });
});
