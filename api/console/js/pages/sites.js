// Sites: create, edit, WordPress connection (test, import), automation settings and schedule.

import { del, get, patch, post, put } from "../api.js";
import { h, clear, errorBox, field, select, notice, fmtDate, badge, loading } from "../ui.js";
import { STAGE_LABELS } from "./common.js";

export async function render(main, ctx) {
  await ctx.refreshSites();
  const detail = h("div");
  const list = h("ul.site-list", ctx.sites.map((s) =>
    h("li", h("button", { type: "button", "aria-pressed": String(s.id === ctx.site?.id),
      onclick: () => { ctx.setSite(s.id); render(clear(main), ctx); } },
      h("strong", s.name), " ", h("span.muted", s.domain || ""), s.active_run_id ? badge("running", "run active") : null))));
  main.append(
    h("h1", "Sites"),
    h("div.columns",
      h("section.card", h("h2", "Your sites"), ctx.sites.length ? list : h("p.muted", "No site yet."), createForm(main, ctx)),
      detail));
  if (ctx.site) await siteDetail(detail, ctx);
}

function wordpressFields(values = {}) {
  return {
    url: h("input", { type: "url", name: "wp_url", placeholder: "https://example.com", value: values.url || "", maxLength: 500 }),
    username: h("input", { type: "text", name: "wp_username", value: values.username || "", maxLength: 200, autocomplete: "off" }),
    app_password: h("input", { type: "password", name: "wp_app_password", maxLength: 200, autocomplete: "new-password" }),
  };
}

function wordpressValue(f) {
  const url = f.url.value.trim(), username = f.username.value.trim(), app_password = f.app_password.value.trim();
  if (!url && !username && !app_password) return undefined;
  return { url, username, app_password };
}

function createForm(main, ctx) {
  const name = h("input", { type: "text", required: true, maxLength: 200, name: "site_name" });
  const domain = h("input", { type: "text", maxLength: 255, name: "site_domain", placeholder: "example.com" });
  const wp = wordpressFields();
  const out = h("div");
  const submit = async (event) => {
    event.preventDefault();
    const body = { name: name.value, domain: domain.value.trim() || null };
    const wordpress = wordpressValue(wp);
    if (wordpress) body.wordpress = wordpress;
    try {
      const site = await post("/sites", body);
      ctx.setSite(site.id);
      notice(`Site “${site.name}” created.`);
      render(clear(main), ctx);
    } catch (err) { clear(out, errorBox(err)); }
  };
  return h("details", { open: !ctx.sites.length },
    h("summary", "New site"),
    h("form", { onsubmit: submit, "aria-label": "New site" },
      field("Site name", name), field("Domain", domain),
      h("fieldset", h("legend", "WordPress (optional)"),
        field("WordPress URL", wp.url), field("User name", wp.username),
        field("Application password", wp.app_password, "WordPress → Users → Profile → Application Passwords")),
      h("button.primary", { type: "submit" }, "Create site"), out));
}

async function siteDetail(box, ctx) {
  const site = ctx.site;
  box.append(loading());
  const [automation, schedule] = await Promise.all([
    get(`/sites/${site.id}/automation`),
    get(`/sites/${site.id}/schedule`).catch(() => null),
  ]);
  clear(box,
    h("section.card", h("h2", site.name), siteForm(ctx)),
    h("section.card", h("h2", "WordPress"), wordpressSection(ctx)),
    h("section.card", h("h2", "Automation settings"), automationForm(ctx, automation, schedule)),
    h("section.card.danger", h("h2", "Delete"), deleteSection(ctx)));
}

function siteForm(ctx) {
  const site = ctx.site;
  const name = h("input", { type: "text", required: true, maxLength: 200, value: site.name });
  const domain = h("input", { type: "text", maxLength: 255, value: site.domain || "" });
  const out = h("div");
  return h("form", { "aria-label": "Site details", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await patch(`/sites/${site.id}`, { name: name.value, domain: domain.value.trim() || null });
      await ctx.refreshSites();
      clear(out, h("p.ok", "Saved."));
    } catch (err) { clear(out, errorBox(err)); }
  } }, h("div.row", field("Name", name), field("Domain", domain)), h("button", { type: "submit" }, "Save"), out);
}

function wordpressSection(ctx, message) {
  const site = ctx.site;
  const redraw = (text) => section.replaceWith(wordpressSection(ctx, text));
  const wp = wordpressFields(site.wordpress || {});
  const out = h("div", { "aria-live": "polite" }, message ? h("p.ok", message) : null);
  const report = h("div", { "aria-live": "polite" });
  const save = async (event) => {
    event.preventDefault();
    const wordpress = wordpressValue(wp);
    if (!wordpress) return clear(out, errorBox({ status: 422, message: "Fill in the URL, user name and application password" }));
    try {
      await patch(`/sites/${site.id}`, { wordpress });
      await ctx.refreshSites();
      redraw("Connection saved. Test it below.");
    } catch (err) { clear(out, errorBox(err)); }
  };
  const test = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    clear(report, h("p.loading", "Testing the connection…"));
    try {
      const r = await post(`/sites/${site.id}/wordpress/test`);
      clear(report, h(`div.${r.ok ? "ok" : "error"}`, { role: r.ok ? "status" : "alert" },
        h("strong", r.ok ? "Connection works. " : "Publishing cannot work yet. "), r.message,
        r.problems.length ? h("ul", r.problems.map((p) => h("li", p))) : null,
        r.warnings.length ? h("div", h("em", "Warnings:"), h("ul", r.warnings.map((p) => h("li", p)))) : null,
        r.user ? h("p.muted", `Signed in as ${r.user} (${r.roles.join(", ") || "no role"})${r.site_name ? ` on “${r.site_name}”` : ""}.`) : null));
    } catch (err) { clear(report, errorBox(err)); } finally { button.disabled = false; }
  };
  const remove = async () => {
    if (!confirm("Remove the WordPress connection of this site?")) return;
    try { await patch(`/sites/${site.id}`, { wordpress: null }); await ctx.refreshSites(); redraw("Connection removed."); }
    catch (err) { clear(out, errorBox(err)); }
  };
  const connected = Boolean(site.wordpress);
  const section = h("div",
    connected ? h("p", "Connected to ", h("a", { href: site.wordpress.url, target: "_blank", rel: "noopener" }, site.wordpress.url), ` as ${site.wordpress.username}.`) : h("p.muted", "Not connected."),
    h("form", { onsubmit: save, "aria-label": "WordPress connection" },
      h("div.row", field("WordPress URL", wp.url), field("User name", wp.username)),
      field("Application password", wp.app_password, connected ? "Enter it again to change the connection (it is stored encrypted and never shown)." : "WordPress → Users → Profile → Application Passwords"),
      h("div.actions",
        h("button", { type: "submit" }, "Save connection"),
        connected ? h("button", { type: "button", onclick: test }, "Test connection") : null,
        connected ? h("button.link", { type: "button", onclick: remove }, "Remove connection") : null)),
    out, report,
    connected ? syncSection(site) : null);
  return section;
}

function syncSection(site) {
  const out = h("div", { "aria-live": "polite" });
  const full = h("input", { type: "checkbox" });
  let timer = null;
  const show = (p) => {
    const s = p.stages?.[0] || {};
    clear(out, h("p", badge(p.status), " ", s.message || "",
      p.total_pages ? h("span.num", ` — page ${p.pages_done} of ${p.total_pages}; ${p.posts_created} new, ${p.posts_updated} updated, ${p.posts_unchanged} unchanged`) : null),
      p.error ? errorBox(p.error) : null);
    if (["running"].includes(p.status)) timer = setTimeout(poll, 1000);
  };
  const poll = async () => {
    try { show(await get(`/sites/${site.id}/wordpress/sync`)); } catch (err) { if (err.status !== 404) clear(out, errorBox(err)); }
  };
  const start = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await post(`/sites/${site.id}/wordpress/sync`, { full: full.checked });
      clear(out, h("p.loading", "Import started…"));
      clearTimeout(timer);
      timer = setTimeout(poll, 500);
    } catch (err) { clear(out, errorBox(err)); } finally { button.disabled = false; }
  };
  poll();
  return h("div.sync", h("h3", "Import posts from WordPress"),
    h("label.check", full, " Full import (also flags posts deleted on WordPress)"),
    h("button", { type: "button", onclick: start }, "Import from WordPress"), out);
}

function automationForm(ctx, a, schedule) {
  const site = ctx.site;
  const enabled = h("input", { type: "checkbox", checked: a.enabled });
  const stageBoxes = {};
  const batch = {};
  const conc = {};
  const chosen = a.stages.length ? a.stages : [1, 2, 3, 4, 5, 6, 7];
  const rows = Object.entries(STAGE_LABELS).map(([n, label]) => {
    stageBoxes[n] = h("input", { type: "checkbox", checked: chosen.includes(Number(n)), "aria-label": `Run stage ${n}: ${label}` });
    batch[n] = h("input.narrow", { type: "number", min: 1, max: 5000, value: a.batch_sizes[n] ?? "", placeholder: "default", "aria-label": `Batch size of stage ${n}` });
    conc[n] = h("input.narrow", { type: "number", min: 1, max: 50, value: a.concurrency[n] ?? "", placeholder: "default", "aria-label": `Concurrency of stage ${n}` });
    return h("tr", h("td", stageBoxes[n]), h("td", `${n}. ${label}`), h("td", batch[n]), h("td", conc[n]));
  });
  const strictOrder = h("input", { type: "checkbox", checked: Boolean(a.strict_order), name: "strict_order", "aria-describedby": "strict-order-hint" });
  const autoPublish = h("input", { type: "checkbox", checked: a.auto_publish });
  const publishStatus = select([["draft", "Draft"], ["publish", "Published"]], a.publish_status);
  const cron = h("input", { type: "text", maxLength: 200, value: a.schedule?.cron || "", placeholder: "0 6 * * 1 (Mondays 06:00)", name: "cron" });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const tz = h("input", { type: "text", maxLength: 64, value: a.schedule?.timezone || "UTC", list: "tz-list", name: "timezone" });
  const out = h("div", { "aria-live": "polite" });
  const scheduleBox = h("div");
  const showSchedule = (info) => {
    if (!info || !info.cron) return clear(scheduleBox, h("p.muted", "No schedule: runs start only when you start them."));
    clear(scheduleBox,
      h("p", `Schedule “${info.cron}” (${info.timezone}) `, badge(info.paused ? "paused" : "running", info.paused ? "paused" : "active")),
      info.next_run_times.length ? h("div", h("strong", `Next runs (${info.timezone}):`),
        h("ul.num", info.next_run_times.slice(0, 5).map((t) => h("li", inZone(t, info.timezone), h("small.muted", ` — ${fmtDate(t)} your time`))))) : null,
      h("div.actions",
        h("button", { type: "button", onclick: () => scheduleAction("trigger") }, "Run now"),
        info.paused ? h("button", { type: "button", onclick: () => scheduleAction("unpause") }, "Unpause schedule")
          : h("button", { type: "button", onclick: () => scheduleAction("pause") }, "Pause schedule")));
  };
  const scheduleAction = async (action) => {
    try {
      const info = await post(`/sites/${site.id}/schedule/${action}`);
      showSchedule(info);
      if (action === "trigger") notice(info.trigger?.outcome === "skipped" ? "Skipped: a run of this schedule is still active." : "Scheduled run started.");
    } catch (err) { clear(out, errorBox(err)); }
  };
  showSchedule(schedule);
  const save = async (event) => {
    event.preventDefault();
    const numbers = (inputs) => Object.fromEntries(Object.entries(inputs).filter(([, i]) => i.value !== "").map(([n, i]) => [n, Number(i.value)]));
    const stages = Object.entries(stageBoxes).filter(([, b]) => b.checked).map(([n]) => Number(n));
    if (!stages.length) return clear(out, errorBox({ status: 422, message: "Choose at least one stage" }));
    const body = {
      enabled: enabled.checked, stages, batch_sizes: numbers(batch), concurrency: numbers(conc), strict_order: strictOrder.checked,
      auto_publish: autoPublish.checked, publish_status: publishStatus.value,
      schedule: cron.value.trim() ? { cron: cron.value.trim(), timezone: tz.value.trim() || "UTC" } : null,
    };
    try {
      await put(`/sites/${site.id}/automation`, body);
      clear(out, h("p.ok", "Automation settings saved."));
      showSchedule(await get(`/sites/${site.id}/schedule`).catch(() => null));
    } catch (err) { clear(out, errorBox(err)); }
  };
  return h("form", { onsubmit: save, "aria-label": "Automation settings" },
    h("label.check", enabled, " Automation enabled"),
    h("div.table-wrap", h("table.compact", h("thead", h("tr", h("th", "Run"), h("th", "Stage"), h("th", "Batch size"), h("th", "Concurrency"))), h("tbody", rows))),
    h("label.check", strictOrder, " Run stages one at a time (strict order)"),
    h("p.hint.check-hint", { id: "strict-order-hint" }, "Off: each item moves on as soon as its stage is done with it, so stages overlap. On: a stage starts only once the one before it has finished."),
    h("div.row", h("label.check", autoPublish, " Publish approved articles automatically"), field("WordPress status", publishStatus)),
    h("fieldset", h("legend", "Schedule"),
      h("div.row", field("Cron", cron, "Empty = no schedule. e.g. 0 6 * * 1 or @daily"), field("Time zone", tz)),
      h("datalist", { id: "tz-list" }, zones.map((z) => h("option", { value: z }))),
      scheduleBox),
    h("button.primary", { type: "submit" }, "Save automation settings"), out);
}

function inZone(iso, timeZone) {
  try {
    return new Date(iso).toLocaleString("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  } catch { return fmtDate(iso); }
}

function deleteSection(ctx) {
  const site = ctx.site;
  const out = h("div");
  return h("div", h("p", "Deletes the site with its keywords, clusters, ideas, tasks, articles and images (not its WordPress posts)."),
    h("button.danger", { type: "button", onclick: async () => {
      if (!confirm(`Delete the site “${site.name}” and everything in it?`)) return;
      try { await del(`/sites/${site.id}`); ctx.setSite(null); location.hash = "#/sites"; await ctx.refreshSites(); dispatchEvent(new HashChangeEvent("hashchange")); notice("Site deleted."); }
      catch (err) { clear(out, errorBox(err)); }
    } }, "Delete site"), out);
}
