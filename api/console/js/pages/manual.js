// Manual AI runs: one stage on the rows a user picked, a progress dialog with the stage's own
// messages, and a notice when a run finishes while its dialog is closed.

import { post } from "../api.js";
import { followRun } from "../sse.js";
import { h, clear, dialog, errorBox, notice, progressBar, fmt, badge } from "../ui.js";

const WATCH_STORAGE = "igny8.watchedRuns";
const watching = new Map(); // run id -> follower, for runs whose dialog is closed

function saved() {
  try { return JSON.parse(sessionStorage.getItem(WATCH_STORAGE) || "[]"); } catch { return []; }
}
function save() { sessionStorage.setItem(WATCH_STORAGE, JSON.stringify([...watching.keys()])); }

function stageOf(progress) {
  return progress.stages.find((s) => s.stage === progress.current_stage) || progress.stages[progress.stages.length - 1] || {};
}

export function summary(progress) {
  const s = stageOf(progress);
  const failed = s.failed ? ` (${fmt(s.failed)} failed)` : "";
  return `${s.message || progress.status}${failed}`;
}

/** Start the stage on the ids and show its progress. */
export async function startManualRun(ctx, manual, ids, onDone) {
  const { body, close, dialog: dlg } = dialog(`${manual.label}: ${fmt(ids.length)} ${manual.kind}${ids.length === 1 ? "" : "s"}`);
  body.append(h("p.loading", "Starting…"));
  let runId;
  try {
    ({ run_id: runId } = await post(`/sites/${ctx.site.id}/ai/${manual.stage}`, { ids }));
  } catch (err) {
    clear(body, errorBox(err), h("button", { type: "button", onclick: close }, "Close"));
    return;
  }
  const view = h("div.manual-progress", { "aria-live": "polite" });
  clear(body, view, h("p.muted", "You can close this window: a notice tells you when the run is done."),
    h("div.actions", h("button", { type: "button", onclick: close }, "Close")));
  let finished = false;
  const show = (p, done) => {
    const s = stageOf(p);
    clear(view,
      h("p", badge(p.status), " ", h("strong.message", s.message || "Waiting to start…")),
      progressBar(p.percentage, "Run progress"),
      h("p.num.tally",
        `${fmt(s.completed)} done · ${fmt(s.processing)} in progress · ${fmt(s.pending)} waiting · ${fmt(s.failed)} failed`),
      s.current_item && !done ? h("p.muted", `Now: ${s.current_item}`) : null,
      p.error ? errorBox(p.error) : s.error && s.failed ? errorBox(s.error) : null);
  };
  const follower = followRun(runId, {
    onProgress: (p) => show(p, false),
    onEnd: (p) => {
      finished = true;
      if (watching.delete(runId)) save();
      show(p, true);
      ctx.refreshCredits();
      if (onDone) onDone(p);
      if (!dlg.open) notice(`${manual.label} finished: ${summary(p)}`, { sticky: true, kind: p.status === "completed" ? "ok" : "warn" });
    },
    onError: (err) => clear(view, errorBox(err)),
  });
  dlg.addEventListener("close", () => {
    if (finished) { follower.stop(); return; }
    // Keep following in the background; the notice comes from this follower's onEnd.
    watching.set(runId, follower);
    save();
  });
}

/** After a reload, keep watching runs whose dialog was closed, to tell when they end. */
export function watchBackgroundRuns() {
  for (const runId of saved()) {
    if (watching.has(runId)) continue;
    watching.set(runId, followRun(runId, {
      onEnd: (p) => {
        watching.delete(runId);
        save();
        notice(`Run finished: ${summary(p)}`, { sticky: true, kind: p.status === "completed" ? "ok" : "warn" });
      },
      onError: () => { watching.delete(runId); save(); },
    }));
  }
}
