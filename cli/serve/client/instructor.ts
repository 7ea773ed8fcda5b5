/**
 * The instructor's page: learners by steps, live (pushed by the server as
 * checks finish), who has been stuck on a step for a while with their last
 * failure, and any learner's live picture (`#<secret>/<learner>` opens it).
 */
(() => {
    const { secret } = podlabLink();
    let events: WebSocket | undefined;

    function cellText(status: string): string {
        return status === "pass" ? "✓ pass" : status === "fail" ? "✗ fail" : status === "not-possible" ? "not possible" : "·";
    }

    function renderBoard(board: PodlabBoard): void {
        document.getElementById("title")!.textContent = `podlab course ${board.course}: the instructor's page`;
        document.getElementById("facts")!.textContent = `${board.rows.length} learners · updated ${new Date(board.at).toLocaleTimeString()} · stuck means failing one step for ${board.stuckAfterMinutes} minutes or more`;
        const head = podlabEl("tr", {}, podlabEl("th", {}, "learner"), podlabEl("th", {}, "terminals"), ...board.steps.map((s) => podlabEl("th", { title: s.title }, s.id)), podlabEl("th", {}, "picture"));
        const rows = board.rows.map((r) =>
            podlabEl(
                "tr",
                { "data-learner": r.learner },
                podlabEl("td", {}, r.learner, podlabEl("br"), podlabEl("span", { class: "detail" }, `${r.passed}/${r.cells.length} passed${r.current ? ` · on ${r.current}` : " · done"}`)),
                podlabEl("td", {}, String(r.terminals)),
                ...r.cells.map((c) =>
                    podlabEl("td", { class: `status ${c.status}`, "data-step": c.step, "data-status": c.status, title: c.summary ?? "not checked yet" }, cellText(c.status)),
                ),
                podlabEl("td", {}, podlabEl("a", { href: `#${secret}/${encodeURIComponent(r.learner)}`, class: "picture-link" }, "open")),
            ),
        );
        document.getElementById("board")!.replaceChildren(head, ...rows);
        const stuck = board.rows.filter((r) => r.stuck !== undefined);
        document.getElementById("stuck")!.replaceChildren(
            ...(stuck.length === 0
                ? [podlabEl("p", { class: "detail" }, "Nobody is stuck.")]
                : stuck.map((r) =>
                      podlabEl(
                          "div",
                          { class: "entry", "data-learner": r.learner },
                          podlabEl("b", {}, r.learner),
                          ` on step ${r.stuck!.step} for ${r.stuck!.minutes} min (since ${new Date(r.stuck!.since).toLocaleTimeString()}): ${r.stuck!.summary}`,
                          ...r.stuck!.evidence.map((e) => podlabEl("pre", {}, e)),
                      ),
                  )),
        );
    }

    function showPicture(m: PodlabPicture): void {
        if (m.learner !== podlabLink().rest) {
            return;
        }
        document.getElementById("picture-title")!.textContent = `${m.learner}'s pods (${m.namespace}), live`;
        const box = document.getElementById("picture")!;
        box.innerHTML = m.html; // drawn and escaped by the server (cli/picture/svg.ts)
        box.dataset.learner = m.learner;
        if (m.problem !== undefined) {
            box.prepend(podlabEl("p", { class: "problem" }, m.problem));
        }
    }

    /** Asks for the picture the fragment names (`#<secret>/<learner>`), or none. */
    function followFragment(): void {
        const learner = podlabLink().rest;
        if (events?.readyState === WebSocket.OPEN) {
            events.send(JSON.stringify({ type: "picture", learner: learner || null }));
        }
        if (!learner) {
            document.getElementById("picture")!.textContent = "Open a learner's picture from the table.";
        }
    }

    if (!secret) {
        podlabProblem("This page opens from the instructor's link that `npm run course -- serve` printed.");
        return;
    }
    podlabApi<PodlabBoard>("/api/instructor", secret).then(
        (board) => {
            renderBoard(board);
            window.addEventListener("hashchange", followFragment);
            podlabKeepOpen(
                () => {
                    const s = podlabSocket("/api/instructor/events", secret);
                    s.addEventListener("message", (ev) => {
                        const m = JSON.parse(ev.data as string) as { type: "board"; board: PodlabBoard } | PodlabPicture;
                        if (m.type === "board") {
                            renderBoard(m.board);
                        } else if (m.type === "picture") {
                            showPicture(m);
                        }
                    });
                    events = s;
                    return s;
                },
                () => followFragment(),
                (ev) => ev.code === 1008,
            );
        },
        (e: Error) => {
            document.getElementById("facts")!.textContent = "";
            podlabProblem(e.message);
        },
    );
})();
