/**
 * The course's own records: which learners it has deployed (so a learner dropped
 * from the roster is noticed, and a stack of the same name made by someone else
 * is not taken over), and a lock so that one course command runs at a time.
 * Both survive a killed run: the registry is written before a learner's stack
 * is created and after it is removed, and a lock whose process is gone is taken over.
 */
import * as fs from "fs";
import { pidAlive } from "../automation";
import { CourseLayout, writeFileAtomic } from "./layout";

export class CourseRegistry {
    constructor(private readonly layout: CourseLayout) {}

    /** The learners this course has deployed (or started to). */
    learners(): string[] {
        try {
            const data = JSON.parse(fs.readFileSync(this.layout.registry, "utf8")) as { learners?: string[] };
            return [...(data.learners ?? [])].sort();
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") {
                return [];
            }
            throw new Error(`${this.layout.registry} is unreadable (${(e as Error).message}); it lists the course's learners`);
        }
    }

    add(learner: string): void {
        this.write(new Set([...this.learners(), learner]));
    }

    remove(learner: string): void {
        const all = new Set(this.learners());
        all.delete(learner);
        this.write(all);
    }

    private write(learners: Set<string>): void {
        writeFileAtomic(this.layout.registry, JSON.stringify({ course: this.layout.course, learners: [...learners].sort() }, null, 2) + "\n");
    }
}

/** Runs `f` holding the course's lock; a lock left by a process that is gone is taken over. */
export async function withCourseLock<T>(layout: CourseLayout, f: () => Promise<T>): Promise<T> {
    fs.mkdirSync(layout.workDir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; ; attempt++) {
        try {
            fs.writeFileSync(layout.lockFile, String(process.pid), { flag: "wx" });
            break;
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
                throw e;
            }
            const holder = Number(fs.readFileSync(layout.lockFile, "utf8").trim());
            if (pidAlive(holder)) {
                throw new Error(`another course command (pid ${holder}) is working on course ${layout.course}; wait for it (lock: ${layout.lockFile})`);
            }
            fs.rmSync(layout.lockFile, { force: true }); // its process is gone (killed): take over
        }
    }
    const release = () => fs.rmSync(layout.lockFile, { force: true });
    process.once("exit", release);
    try {
        return await f();
    } finally {
        release();
        process.removeListener("exit", release);
    }
}
