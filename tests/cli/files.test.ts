import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stateDir, writeFileAtomic } from "../../cli/files";

describe("stateDir", () => {
    it("is PODLAB_STATE when set, else ~/.local/state/podlab", () => {
        expect(stateDir({ PODLAB_STATE: "/srv/podlab-state" }, "/home/ada")).toBe("/srv/podlab-state");
        expect(stateDir({}, "/home/ada")).toBe("/home/ada/.local/state/podlab");
    });
});

describe("writeFileAtomic", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "podlab-files-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("makes the directories, writes the content with the mode, and leaves no temporary file", () => {
        const file = path.join(dir, "a", "b", "kubeconfig");
        writeFileAtomic(file, "secret", 0o600);
        expect(fs.readFileSync(file, "utf8")).toBe("secret");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.readdirSync(path.dirname(file))).toEqual(["kubeconfig"]);
    });

    it("replaces an existing file whole, with the new mode", () => {
        const file = path.join(dir, "card.txt");
        fs.writeFileSync(file, "old", { mode: 0o600 });
        writeFileAtomic(file, "new");
        expect(fs.readFileSync(file, "utf8")).toBe("new");
        expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    });
});
