/**
 * The globals the browser scripts share: xterm.js and its fit addon as their
 * UMD bundles define them (loaded by <script> from /assets, not bundled).
 */
declare const Terminal: typeof import("@xterm/xterm").Terminal;
declare const FitAddon: { FitAddon: typeof import("@xterm/addon-fit").FitAddon };

/** The lesson's types, as the server sends them (cli/lesson/model.ts). */
type PodlabStep = import("../../lesson/model").LessonStep;
type PodlabResult = import("../../checkReport").StepResult;
/** A picture of a learner's pods, pushed by the server (cli/serve/picture.ts). */
type PodlabPicture = import("../picture").PictureMessage;
/** The instructor's board (cli/serve/progress.ts). */
type PodlabBoard = import("../progress").Board;
