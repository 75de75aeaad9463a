// What several pages share: the stage labels, "pick a site first", and live generation badges.

import { get } from "../api.js";
import { followRun } from "../sse.js";
import { h, badge } from "../ui.js";

export const STAGE_LABELS = {
  1: "Cluster keywords", 2: "Generate ideas", 3: "Queue ideas", 4: "Write articles",
  5: "Image prompts", 6: "Generate images", 7: "Review & publish",
};

export function needSite(main, ctx) {
  if (ctx.site) return false;
  main.append(h("section", h("h1", "No site yet"), h("p", "Create a site first on the ", h("a", { href: "#/sites" }, "Sites"), " page.")));
  return true;
}

/**
 * Generation badges for the rows on screen: read now, and again while the site's run moves.
 * cells: Map(id -> element to fill). Answers a stop function.
 */
export function liveGeneration(ctx, kind, cells, onRunEnd) {
  const site = ctx.site;
  let timer = null;
  let stopped = false;
  const refresh = async () => {
    if (stopped || !cells.size) return;
    try {
      const answer = await get(`/sites/${site.id}/generation-status`, { kind, ids: [...cells.keys()] });
      for (const [id, cell] of cells) {
        const g = answer.statuses[id];
        cell.replaceChildren(g ? badge(g.status) : h("span.muted", "—"));
        if (g && g.error_message) cell.title = `${g.error_type}: ${g.error_message}`;
      }
    } catch { /* the badges keep their last state */ }
  };
  refresh();
  let follower = null;
  if (site.active_run_id) {
    follower = followRun(site.active_run_id, {
      onProgress: () => { if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, 400); },
      onEnd: () => { refresh(); if (onRunEnd) onRunEnd(); },
    });
  }
  return () => { stopped = true; clearTimeout(timer); if (follower) follower.stop(); };
}

export function splitList(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}
