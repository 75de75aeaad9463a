// The Automation wizard: estimate and start, seven live stage cards with their queues and the
// publish queue (8: what review approved, on its way to WordPress), steer the run (pause,
// resume, cancel, retry) and its history. Live by server-sent events.

import { get, post } from "../api.js";
import { followRun } from "../sse.js";
import { h, clear, errorBox, badge, fmt, fmtDate, duration, progressBar, pager, notice, loading } from "../ui.js";
import { STAGE_LABELS, needSite } from "./common.js";

const QUEUE_PAGE = 10;
// Where a stage's queue item lives in the console (to go and fix it).
const ITEM_PAGES = { 1: "keywords", 2: "clusters", 3: "ideas", 4: "tasks", 5: "content", 6: "images", 7: "content", 8: "content" };
// Queue 8 follows review when auto-publish is on: `progress.publish`, retried as stage 8.
const PUBLISH_QUEUE = 8;
const LABELS = { ...STAGE_LABELS, [PUBLISH_QUEUE]: "Publishing to WordPress" };
const itemLink = (stage, id) => (ITEM_PAGES[stage] === "content" ? `#/content/${id}` : `#/${ITEM_PAGES[stage]}`);
const COUNTS = ["pending", "processing", "completed", "failed"];

export async function render(main, ctx, route) {
  if (needSite(main, ctx)) return null;
  await ctx.refreshSites();
  const site = ctx.site;
  let runId = route[0] ? decodeURIComponent(route[0]) : site.active_run_id;
  if (!runId) {
    // Nothing running: show the latest automation run, finished or not.
    const latest = await get(`/sites/${site.id}/runs`, { limit: 1, kind: "automation" }).catch(() => null);
    runId = latest?.items[0]?.id || null;
  }
  const startBox = h("section.card.start");
  const runBox = h("section.run");
  const historyBox = h("section.card");
  main.append(h("h1", "Automation"), startBox, runBox, historyBox);
  let view = null;
  const refreshHistory = () => history(historyBox, site);
  startSection(startBox, ctx, (id) => { location.hash = `#/automation/${encodeURIComponent(id)}`; });
  if (runId) view = runView(runBox, ctx, runId, refreshHistory);
  else runBox.append(h("p.muted.card", "No run in progress for this site."));
  refreshHistory();
  return () => { if (view) view.stop(); };
}

function startSection(box, ctx, opened) {
  const site = ctx.site;
  const out = h("div", { "aria-live": "polite" });
  const estimateButton = h("button.primary", { type: "button", onclick: () => estimate() }, "Plan a run…");
  const estimate = async () => {
    estimateButton.disabled = true;
    clear(out, loading("Estimating the credits…"));
    try {
      const e = await post(`/sites/${site.id}/runs/estimate`);
      const startButton = h("button.primary", { type: "button", dataset: { testid: "start-run" }, onclick: () => start(startButton) }, "Start run");
      clear(out,
        h("div.table-wrap", h("table.compact.estimate",
          h("caption", "What the run would do"),
          h("thead", h("tr", h("th", "Stage"), h("th.num", "Waiting now"), h("th.num", "Expected"), h("th.num", "Credits"))),
          h("tbody", e.stages.map((s) => h("tr", h("td", `${s.stage}. ${STAGE_LABELS[s.stage] || s.name}`),
            h("td.num", fmt(s.eligible_now)), h("td.num", fmt(s.projected)), h("td.num", fmt(s.credits))))),
          h("tfoot", h("tr", h("th", { colSpan: 3 }, "Total (estimate)"), h("th.num", fmt(e.total_credits)))))),
        h("p.num", `Your balance: ${fmt(e.balance)} credits. `,
          e.sufficient ? h("span.ok", "Enough for this run.") : h("span.warn", "Not enough: the run pauses when credits run out. "),
          e.sufficient ? null : h("a", { href: "#/credits" }, "Top up credits")),
        h("div.actions", startButton, h("button", { type: "button", onclick: () => clear(out) }, "Cancel")));
    } catch (err) {
      clear(out, errorBox(err, { retry: estimate }));
    } finally { estimateButton.disabled = false; }
  };
  const start = async (button) => {
    if (button.disabled) return;
    button.disabled = true;
    button.textContent = "Starting…";
    try {
      const { run_id } = await post(`/sites/${site.id}/runs`);
      clear(out);
      notice("Run started.");
      opened(run_id);
    } catch (err) {
      button.disabled = false;
      button.textContent = "Start run";
      const existing = err.status === 409 ? (await ctx.refreshSites(), ctx.site?.active_run_id) : null;
      clear(out, errorBox(err), existing ? h("p", h("a", { href: `#/automation/${encodeURIComponent(existing)}` }, "Open the active run")) : null);
    }
  };
  box.append(h("h2", "Start a run"),
    h("p.muted", "A run takes the site's waiting work through the seven stages. You see the credit estimate before anything starts."),
    estimateButton, out);
}

function runView(box, ctx, runId, onEnd) {
  const state = { progress: null, live: "connecting", queues: {} };
  const header = h("div.card.run-head");
  const cards = h("div.stages");
  const stageEls = {};
  for (let n = 1; n <= PUBLISH_QUEUE; n += 1) {
    stageEls[n] = stageCard(n, () => state, runId, () => rerender());
    cards.append(stageEls[n].el);
  }
  clear(box, header, cards);
  const rerender = () => {
    if (!state.progress) return;
    renderHeader(header, state, runId, ctx, reload);
    const byNo = Object.fromEntries(state.progress.stages.map((s) => [s.stage, s]));
    if (state.progress.publish) byNo[PUBLISH_QUEUE] = state.progress.publish;
    for (let n = 1; n <= PUBLISH_QUEUE; n += 1) stageEls[n].update(byNo[n], state.progress);
  };
  const reload = async () => {
    try { state.progress = await get(`/runs/${encodeURIComponent(runId)}`); rerender(); } catch (err) { clear(header, errorBox(err, { retry: reload })); }
  };
  header.append(loading());
  const follower = followRun(runId, {
    onProgress: (p) => { state.progress = p; rerender(); },
    onEnd: (p) => {
      state.progress = p;
      rerender();
      ctx.refreshCredits();
      onEnd();
    },
    onState: (s) => { state.live = s; rerender(); },
    onError: (err) => clear(header, errorBox(err)),
  });
  return { stop: () => follower.stop() };
}

function renderHeader(el, state, runId, ctx, reload) {
  const p = state.progress;
  const active = ["running", "paused"].includes(p.status);
  const current = p.stages.find((s) => s.stage === p.current_stage);
  // The publish queue's failures count too (retry with no stage retries them as well).
  const failedTotal = [...p.stages, p.publish].reduce((sum, s) => sum + (s ? s.failed : 0), 0);
  const act = (path, body, message) => async (event) => {
    event.currentTarget.disabled = true; // one click, one request
    event.currentTarget.setAttribute("aria-busy", "true");
    try {
      const answer = await post(`/runs/${encodeURIComponent(runId)}/${path}`, body);
      if (answer && answer.run_id && answer.progress) {
        notice(`${fmt(answer.requeued)} failed item${answer.requeued === 1 ? "" : "s"} back in the queue${answer.new_run ? " (in a new run)" : ""}.`);
        if (answer.new_run) { location.hash = `#/automation/${encodeURIComponent(answer.run_id)}`; return; }
        state.progress = answer.progress;
      } else if (answer) state.progress = answer;
      if (message) notice(message);
    } catch (err) {
      el.append(errorBox(err));
      return;
    }
    renderHeader(el, state, runId, ctx, reload);
  };
  const liveText = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", closed: active ? "Not live" : "Finished" }[state.live];
  const finishedNote = p.status === "completed" && failedTotal ? `Completed with ${fmt(failedTotal)} failed item${failedTotal === 1 ? "" : "s"}` : null;
  clear(el,
    h("div.run-title",
      h("h2", "Run ", h("code", runId)),
      badge(p.paused && p.status === "running" ? "paused" : p.status, finishedNote || undefined),
      h(`span.live.${state.live}`, { "aria-live": "polite", dataset: { live: state.live } }, liveText)),
    progressBar(p.percentage, "Overall progress"),
    h("div.run-facts",
      h("div", h("span.label", "Now"), h("span.message", { dataset: { testid: "run-message" } },
        current ? current.message || STAGE_LABELS[current.stage] : (p.status === "completed" ? "All stages done" : p.status))),
      h("div", h("span.label", "Current item"), h("span.current-item", current?.current_item || "–")),
      h("div", h("span.label", "Time remaining"), h("span.num.eta", current && active ? duration(current.estimated_seconds_remaining) : "–")),
      h("div", h("span.label", "Credits used"), h("span.num", fmt(p.credits_used))),
      h("div", h("span.label", "Started"), h("span", fmtDate(p.started_at)))),
    p.pause_reason ? h("p.warn", `Paused: ${p.pause_reason} `,
      /credit/i.test(p.pause_reason) ? h("a.button", { href: "#/credits" }, "Top up credits, then resume") : null) : null,
    p.error ? errorBox(p.error, { retry: act("retry", {}) }) : null,
    h("div.actions.controls",
      p.status === "running" && !p.paused ? [
        h("button", { type: "button", dataset: { testid: "pause" }, onclick: act("pause", { mode: "drain" }, "Paused: batches in flight finish first.") }, "Pause"),
        h("button", { type: "button", dataset: { testid: "pause-now" }, onclick: act("pause", { mode: "immediate" }, "Paused now: work in flight went back to the queue.") }, "Pause now"),
      ] : null,
      active && (p.paused || p.status === "paused") ? h("button.primary", { type: "button", dataset: { testid: "resume" }, onclick: act("resume", undefined, "Resumed.") }, "Resume") : null,
      failedTotal ? h("button", { type: "button", dataset: { testid: "retry-all" }, onclick: act("retry", {}) }, `Retry all failed (${fmt(failedTotal)})`) : null,
      active ? h("button.danger", { type: "button", dataset: { testid: "cancel" }, onclick: (e) => {
        if (!confirm("Cancel this run? Work in flight stops; finished items stay done.")) return;
        act("cancel", undefined, "Run cancelled.")(e);
      } }, "Cancel run") : null));
  void ctx; void reload;
}

function stageCard(n, getState, runId, rerender) {
  const counts = {};
  const countEls = COUNTS.map((name) => {
    counts[name] = h("span.num.count", { dataset: { count: name } }, "0");
    return h("div", { className: `c-${name}` }, counts[name], h("span.label", name));
  });
  const status = h("span.stage-status");
  const message = h("p.stage-message");
  const bar = h("div.mini");
  const queueBox = h("div.queue", { hidden: true });
  const toggle = h("button.link", { type: "button", "aria-expanded": "false", onclick: () => {
    queueBox.hidden = !queueBox.hidden;
    toggle.setAttribute("aria-expanded", String(!queueBox.hidden));
    if (!queueBox.hidden) loadQueue();
  } }, "Queue");
  const publishing = n === PUBLISH_QUEUE;
  const el = h(`article.stage-card${publishing ? ".publish-queue" : ""}`, { dataset: { stage: n }, "aria-label": publishing ? `Queue ${n}: ${LABELS[n]}` : `Stage ${n}: ${LABELS[n]}` },
    h("header", h("span.stage-no", n), h("h3", LABELS[n]), status),
    h("div.counts", countEls), bar, message, toggle, queueBox);
  let queueStatus = "failed";
  let queueOffset = 0;
  const loadQueue = async () => {
    const tabs = h("div.tabs.small", { role: "tablist", "aria-label": `Stage ${n} queue` }, COUNTS.map((s) =>
      h("button", { type: "button", role: "tab", "aria-selected": String(s === queueStatus), onclick: () => { queueStatus = s; queueOffset = 0; loadQueue(); } }, s)));
    let page;
    try {
      page = await get(`/runs/${encodeURIComponent(runId)}/stages/${n}/queue`, { status: queueStatus, offset: queueOffset, limit: QUEUE_PAGE });
    } catch (err) { return clear(queueBox, tabs, errorBox(err, { retry: loadQueue })); }
    const chosen = new Set();
    const retrySelected = h("button", { type: "button", disabled: true, onclick: () => retry({ item_ids: [...chosen] }) }, "Retry selected");
    const retry = async (body) => {
      try {
        const r = await post(`/runs/${encodeURIComponent(runId)}/retry`, { stage: n, ...body });
        notice(`${fmt(r.requeued)} item${r.requeued === 1 ? "" : "s"} back in the queue${r.new_run ? " (in a new run)" : ""}.`);
        if (r.new_run) location.hash = `#/automation/${encodeURIComponent(r.run_id)}`;
        else { getState().progress = r.progress; rerender(); loadQueue(); }
      } catch (err) { queueBox.append(errorBox(err)); }
    };
    clear(queueBox, tabs,
      page.items.length ? h("ul.queue-items", page.items.map((item) => h("li",
        queueStatus === "failed" ? h("input", { type: "checkbox", "aria-label": `Choose ${item.name} to retry`, onchange: (e) => {
          if (e.target.checked) chosen.add(item.id); else chosen.delete(item.id);
          retrySelected.disabled = !chosen.size;
        } }) : null,
        h("a.item-name", { href: itemLink(n, item.id), title: "Open the item to fix it" }, item.name || `#${item.id}`),
        item.attempts > 1 ? h("small.muted.num", ` ${item.attempts} attempts`) : null,
        item.error_message ? h("div.item-error", h("strong", (item.error_type || "Error").replace(/Error$/, " error")), " ", item.error_message) : null)))
        : h("p.muted", `No ${queueStatus} items.`),
      pager(page, (offset) => { queueOffset = offset; loadQueue(); }),
      queueStatus === "failed" && page.total ? h("div.actions", retrySelected,
        h("button", { type: "button", onclick: () => retry({}) }, `${publishing ? "Retry publishing" : `Retry stage ${n}`} (${fmt(page.total)})`)) : null);
  };
  return {
    el,
    update(s, progress) {
      if (!s) {
        el.classList.add("off");
        // Queue 8 shows once review approves something to publish (auto-publish on).
        const waiting = publishing && progress.stages.some((st) => st.stage === 7);
        clear(status, badge("skipped", waiting ? "nothing yet" : "not in this run"));
        if (publishing) message.textContent = waiting ? "Articles review approves are published here when auto-publish is on." : "";
        return;
      }
      el.classList.remove("off");
      el.dataset.status = s.status;
      for (const name of COUNTS) counts[name].textContent = fmt(s[name]);
      clear(status, badge(s.status === "running" && progress.paused ? "paused" : s.status));
      const total = s.pending + s.processing + s.completed + s.failed;
      clear(bar, progressBar(total ? ((s.completed + s.failed) * 100) / total : s.status === "completed" ? 100 : 0, `Stage ${n} progress`));
      message.textContent = s.message || "";
      el.classList.toggle("current", progress.current_stage === n && ["running", "paused"].includes(progress.status));
      if (!queueBox.hidden && s.processing + s.pending > 0) {
        clearTimeout(el._q);
        el._q = setTimeout(loadQueue, 1500);
      }
    },
  };
}

async function history(box, site) {
  let offset = 0;
  const load = async () => {
    let page;
    try { page = await get(`/sites/${site.id}/runs`, { limit: 10, offset }); } catch (err) { return clear(box, h("h2", "Run history"), errorBox(err, { retry: load })); }
    clear(box, h("h2", "Run history"),
      page.items.length ? h("div.table-wrap", h("table.compact",
        h("thead", h("tr", h("th", "Run"), h("th", "Kind"), h("th", "Status"), h("th", "Started"), h("th", "Finished"), h("th.num", "Credits"))),
        h("tbody", page.items.map((r) => h("tr",
          h("td", h("a", { href: `#/automation/${encodeURIComponent(r.id)}` }, r.id)),
          h("td", r.kind === "manual" ? `manual: ${STAGE_LABELS[r.manual_stage] || r.manual_stage}` : `${r.kind} (${r.trigger})`),
          h("td", badge(r.status), r.error?.error_message ? h("small.muted", ` ${r.error.error_message}`) : null),
          h("td", fmtDate(r.started_at)), h("td", fmtDate(r.finished_at)), h("td.num", fmt(r.credits_used))))))) : h("p.muted", "No runs yet."),
      pager(page, (o) => { offset = o; load(); }));
  };
  await load();
}
