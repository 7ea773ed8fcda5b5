/**
 * The live picture of a learner's pods, kept current: a watch of their
 * namespace with their own credential, and each pod's sandbox read from the
 * node's runtime (the only use of the instructor's rights: `crictl`, on the
 * lab). The runtime's answer covers every pod on the node; a learner's picture
 * keeps only the sandboxes of the pods their own watch sees. One feed per
 * learner while anyone looks at it; the runtime is read at most every few
 * seconds for everyone together.
 */
import { CriView } from "../cri";
import { environmentView } from "../picture/model";
import { KubePod } from "../kubePod";
import { environmentSvg, escapeXml as esc } from "../picture/svg";

/** What a page gets: the picture as HTML (SVG and its caption, escaped), or why there is none. */
export interface PictureMessage {
    type: "picture";
    learner: string;
    namespace: string;
    html: string;
    readAt: string;
    /** Why the picture could not be read (a credential that no longer works); the last one drawn stays. */
    problem?: string;
}

/** Watches a learner's pods with their credential; returns a stop function. */
export type PodWatcher = (learner: string, onPods: (pods: KubePod[]) => void, onError: (why: string) => void) => () => void;

/** The node's runtime, read at most every `minIntervalMs` for all feeds together. */
export class SharedCri {
    private last?: { at: number; view: CriView };
    private pending?: Promise<CriView>;

    constructor(
        private readonly read: () => Promise<CriView>,
        private readonly minIntervalMs = 2000,
        private readonly now: () => number = Date.now,
    ) {}

    get(): Promise<CriView> {
        if (this.last !== undefined && this.now() - this.last.at < this.minIntervalMs) {
            return Promise.resolve(this.last.view);
        }
        this.pending ??= this.read().then((view) => {
            this.last = { at: this.now(), view };
            this.pending = undefined;
            return view;
        });
        return this.pending;
    }
}

/** The runtime's view narrowed to the given pods: nothing of anyone else's reaches a learner's picture. */
export function criFor(cri: CriView, podUids: Set<string>): CriView {
    if (!cri.visible) {
        return cri;
    }
    return { ...cri, sandboxes: cri.sandboxes.filter((s) => podUids.has(s.podUid)), containers: cri.containers.filter((c) => podUids.has(c.podUid)) };
}

/** The picture's HTML: the same drawing as the learner's card. */
export function pictureHtml(namespace: string, pods: KubePod[], cri: CriView, readAt: Date): string {
    const mine = pods.filter((p) => p.metadata.namespace === namespace);
    const view = environmentView(namespace, mine, criFor(cri, new Set(mine.map((p) => p.metadata.uid))), readAt);
    const empty = view.pods.length === 0 ? `<p class="detail">No pods in ${esc(namespace)} yet: the ones you create appear here.</p>` : "";
    return `${empty}<figure>${environmentSvg(view)}<figcaption>Drawn from the live cluster at ${esc(view.readAt)}; ${esc(view.sandboxNote)}.</figcaption></figure>`;
}

interface Feed {
    learner: string;
    namespace: string;
    listeners: Set<(m: PictureMessage) => void>;
    pods?: KubePod[];
    last?: PictureMessage;
    problem?: string;
    stop?: () => void;
    timers: NodeJS.Timeout[];
}

export class PictureFeeds {
    private readonly feeds = new Map<string, Feed>();

    constructor(
        private readonly deps: {
            watch: PodWatcher;
            cri: SharedCri;
            namespaceOf: (learner: string) => string;
            /** Delay after a change before drawing (changes come in bursts). Default 200 ms. */
            settleMs?: number;
            /** A second drawing this long after a change, for the sandbox the runtime reports a moment later. Default 3 s. */
            followUpMs?: number;
        },
    ) {}

    /** Starts (or joins) the learner's feed; the listener gets the current picture and every new one. Returns the unsubscribe. */
    subscribe(learner: string, listener: (m: PictureMessage) => void): () => void {
        let feed = this.feeds.get(learner);
        if (feed === undefined) {
            feed = { learner, namespace: this.deps.namespaceOf(learner), listeners: new Set(), timers: [] };
            this.feeds.set(learner, feed);
            this.start(feed);
        }
        feed.listeners.add(listener);
        if (feed.last !== undefined) {
            listener(feed.last);
        }
        const f = feed;
        return () => {
            f.listeners.delete(listener);
            if (f.listeners.size === 0) {
                this.close(f);
            }
        };
    }

    /** The current picture (waiting for the first drawing if nobody was watching). */
    current(learner: string, timeoutMs = 15_000): Promise<PictureMessage> {
        return new Promise((resolve, reject) => {
            let done = false;
            const timer = setTimeout(() => {
                done = true;
                unsubscribe();
                reject(new Error(`the picture of ${learner}'s pods took over ${timeoutMs / 1000} s`));
            }, timeoutMs);
            const unsubscribe = this.subscribe(learner, (m) => {
                if (!done) {
                    done = true;
                    clearTimeout(timer);
                    // Unsubscribed after subscribe returns (it may call back before it does).
                    setImmediate(() => unsubscribe());
                    resolve(m);
                }
            });
        });
    }

    /** Restarts a learner's watch (their credential changed): the new one draws from now on. */
    restart(learner: string): void {
        const feed = this.feeds.get(learner);
        if (feed !== undefined) {
            feed.stop?.();
            this.start(feed);
        }
    }

    shutdown(): void {
        for (const f of [...this.feeds.values()]) {
            this.close(f);
        }
    }

    private start(feed: Feed): void {
        feed.problem = undefined;
        try {
            feed.stop = this.deps.watch(
                feed.learner,
                (pods) => {
                    feed.pods = pods;
                    feed.problem = undefined;
                    this.schedule(feed);
                },
                (why) => {
                    feed.problem = `your pods cannot be read with your credential: ${why}`;
                    this.publish(feed);
                },
            );
        } catch (e) {
            feed.problem = `your pods cannot be read: ${(e as Error).message}`;
            this.publish(feed);
        }
    }

    private schedule(feed: Feed): void {
        feed.timers.forEach(clearTimeout);
        feed.timers = [setTimeout(() => void this.draw(feed), this.deps.settleMs ?? 200), setTimeout(() => void this.draw(feed), this.deps.followUpMs ?? 3000)];
    }

    private async draw(feed: Feed): Promise<void> {
        if (feed.pods === undefined || !this.feeds.has(feed.learner)) {
            return;
        }
        const cri = await this.deps.cri.get();
        const readAt = new Date();
        feed.last = { type: "picture", learner: feed.learner, namespace: feed.namespace, html: pictureHtml(feed.namespace, feed.pods, cri, readAt), readAt: readAt.toISOString() };
        this.publish(feed);
    }

    private publish(feed: Feed): void {
        const message: PictureMessage = feed.last
            ? { ...feed.last, problem: feed.problem }
            : { type: "picture", learner: feed.learner, namespace: feed.namespace, html: "", readAt: new Date().toISOString(), problem: feed.problem };
        if (feed.problem !== undefined) {
            feed.last = message;
        }
        feed.listeners.forEach((l) => l(message));
    }

    private close(feed: Feed): void {
        feed.timers.forEach(clearTimeout);
        feed.stop?.();
        this.feeds.delete(feed.learner);
    }
}
