/**
 * The learner's page: the lesson's steps with a Check button each, a terminal
 * (xterm.js) into their workbench over a WebSocket, and the live picture of
 * their pods. A reload or a dropped connection reattaches to the same shell:
 * the tab keeps its terminal's session id (sessionStorage).
 */
(() => {
    interface LearnerView {
        course: string;
        learner: string;
        namespace: string;
        deployed: boolean;
        expires?: string;
        steps: PodlabStep[];
        results: Record<string, PodlabResult>;
    }

    /** Close codes after which the page does not reconnect by itself (cli/serve/terminal.ts, CLOSE). */
    const FINAL_CLOSES = new Set([4000, 4001, 4003, 4004, 4009, 4029, 4400]);
    const SESSION_KEY = "podlab.terminal.session";
    const { secret } = podlabLink();

    function verdict(status: PodlabResult["status"]): string {
        return status === "pass" ? "Pass" : status === "fail" ? "Not yet" : "Cannot be checked here";
    }

    function showResult(step: string, r: PodlabResult | undefined): void {
        const box = document.querySelector<HTMLElement>(`.result[data-step="${CSS.escape(step)}"]`);
        if (box === null) {
            return;
        }
        if (r === undefined) {
            box.hidden = true;
            delete box.dataset.status;
            box.replaceChildren();
            return;
        }
        box.hidden = false;
        box.className = `result ${r.status}`;
        box.dataset.status = r.status;
        box.replaceChildren(
            podlabEl("b", {}, verdict(r.status)),
            ": ",
            r.summary,
            ...r.evidence.map((e) => podlabEl("pre", {}, e)),
            podlabEl("div", { class: "detail" }, `checked at ${new Date(r.checkedAt).toLocaleTimeString()}`),
        );
    }

    /** A button that saves one of a step's files in the learner's workbench (their home directory, where the terminal starts). */
    function saveButton(step: string, name: string): HTMLElement {
        const button = podlabEl("button", { type: "button", class: "save", "data-file": name }, "Save in your workbench") as HTMLButtonElement;
        const state = podlabEl("span", { class: "save-state detail" });
        button.addEventListener("click", () => {
            button.disabled = true;
            state.textContent = "saving…";
            podlabApi<{ path: string }>("/api/learner/file", secret, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ step, name }) })
                .then(
                    (r) => {
                        state.textContent = `saved as ${r.path}`;
                        state.dataset.saved = r.path;
                    },
                    (e: Error) => (state.textContent = e.message),
                )
                .finally(() => (button.disabled = false));
        });
        return podlabEl("span", {}, button, " ", state);
    }

    function renderSteps(view: LearnerView): void {
        const list = document.getElementById("steps")!;
        list.replaceChildren(
            ...view.steps.map((s) => {
                const button = podlabEl("button", { type: "button", class: "check", "data-step": s.id }, "Check") as HTMLButtonElement;
                const state = podlabEl("span", { class: "check-state detail" });
                button.addEventListener("click", () => {
                    button.disabled = true;
                    state.textContent = "checking with your credential…";
                    showResult(s.id, undefined); // the last result is stale now: never read as this check's answer
                    podlabApi<PodlabResult>("/api/learner/check", secret, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ step: s.id }) }).then(
                        (r) => {
                            state.textContent = "";
                            showResult(s.id, r);
                        },
                        (e: Error) => (state.textContent = e.message),
                    ).finally(() => (button.disabled = false));
                });
                return podlabEl(
                    "li",
                    { class: "step", "data-step": s.id },
                    podlabEl("h3", {}, s.title),
                    ...s.paragraphs.map((p) => podlabEl("p", {}, p)),
                    ...Object.entries(s.files).flatMap(([name, content]) => [podlabEl("div", { class: "file-name" }, name, " ", saveButton(s.id, name)), podlabEl("pre", { class: "file", "data-file": name }, content)]),
                    ...s.commands.map((c) => podlabEl("pre", { class: "command" }, c)),
                    podlabEl("div", { class: "check-row" }, button, state),
                    podlabEl("div", { class: "result", "data-step": s.id, hidden: "" }),
                );
            }),
        );
        for (const s of view.steps) {
            showResult(s.id, view.results[s.id]);
        }
    }

    function newSessionId(): string {
        const bytes = crypto.getRandomValues(new Uint8Array(18));
        return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
    }

    function startTerminal(): void {
        const status = document.getElementById("terminal-status")!;
        const restart = document.getElementById("terminal-restart") as HTMLButtonElement;
        const term = new Terminal({ cursorBlink: true, fontSize: 14, fontFamily: '"DejaVu Sans Mono", "Liberation Mono", monospace', scrollback: 5000 });
        const fit = new FitAddon.FitAddon();
        term.loadAddon(fit);
        term.open(document.getElementById("terminal")!);
        fit.fit();
        window.addEventListener("resize", () => fit.fit());
        const encoder = new TextEncoder();
        let session = sessionStorage.getItem(SESSION_KEY) ?? newSessionId();
        sessionStorage.setItem(SESSION_KEY, session);
        let ws: WebSocket | undefined;
        let ended = "";
        const state = (name: string, text: string) => {
            document.body.dataset.terminal = name;
            status.textContent = text;
        };
        term.onData((d) => ws?.readyState === WebSocket.OPEN && ws.send(encoder.encode(d)));
        term.onResize(({ cols, rows }) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "resize", cols, rows })));
        const onMessage = (ev: MessageEvent) => {
            if (typeof ev.data !== "string") {
                term.write(new Uint8Array(ev.data as ArrayBuffer));
                return;
            }
            const m = JSON.parse(ev.data) as { type: string; message?: string; fresh?: boolean };
            if (m.type === "status") {
                state("starting", m.message ?? "");
            } else if (m.type === "attached") {
                if (!m.fresh) {
                    term.reset(); // what the shell printed meanwhile is replayed next
                }
                state("connected", m.fresh ? "connected: a shell in your workbench" : "reconnected to your shell");
                term.focus();
            } else if (m.type === "ended") {
                ended = m.message ?? "";
            }
        };
        const connect = () =>
            podlabKeepOpen(
                () => {
                    const s = podlabSocket(`/api/learner/terminal?session=${session}&cols=${term.cols}&rows=${term.rows}`, secret);
                    s.binaryType = "arraybuffer";
                    s.addEventListener("message", onMessage);
                    ws = s;
                    return s;
                },
                () => undefined,
                (ev) => {
                    if (FINAL_CLOSES.has(ev.code)) {
                        state("closed", ended || ev.reason || "the terminal closed");
                        restart.hidden = false;
                        return true;
                    }
                    state("reconnecting", `${ended || "the connection dropped"}: reconnecting…`);
                    ended = "";
                    return false;
                },
            );
        restart.addEventListener("click", () => {
            restart.hidden = true;
            session = newSessionId();
            sessionStorage.setItem(SESSION_KEY, session);
            term.reset();
            connect();
        });
        connect();
    }

    function showPicture(m: PodlabPicture): void {
        const box = document.getElementById("picture")!;
        if (m.html !== "") {
            box.innerHTML = m.html; // drawn and escaped by the server (cli/picture/svg.ts)
        }
        box.dataset.readAt = m.readAt;
        if (m.problem !== undefined) {
            box.prepend(podlabEl("p", { class: "problem" }, m.problem));
        }
    }

    function startEvents(): void {
        podlabKeepOpen(
            () => {
                const s = podlabSocket("/api/learner/events", secret);
                s.addEventListener("message", (ev) => {
                    const m = JSON.parse(ev.data as string) as PodlabPicture | { type: "result"; result: PodlabResult };
                    if (m.type === "picture") {
                        showPicture(m);
                    } else if (m.type === "result") {
                        showResult(m.result.step, m.result);
                    }
                });
                return s;
            },
            () => undefined,
            (ev) => ev.code === 4001 || ev.code === 1008,
        );
    }

    if (!secret) {
        podlabProblem("This page opens from the link on your card: it ends in # and a long secret.");
        return;
    }
    podlabApi<LearnerView>("/api/learner", secret).then(
        (view) => {
            document.title = `podlab ${view.course}: ${view.learner}`;
            document.getElementById("title")!.textContent = `podlab course ${view.course}: ${view.learner}`;
            document.getElementById("facts")!.textContent =
                `namespace ${view.namespace}` + (view.expires ? ` · your time ends at ${new Date(view.expires).toLocaleString()}` : "") + (view.deployed ? "" : " · no environment yet: ask your instructor");
            renderSteps(view);
            startTerminal();
            startEvents();
        },
        (e: Error) => {
            document.getElementById("facts")!.textContent = "";
            podlabProblem(e.message);
        },
    );
})();
