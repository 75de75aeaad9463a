// The item lists (clusters, ideas, tasks, images; keywords and content build on them):
// filters, paging, a generation badge per row that follows the site's run, row selection for
// manual AI runs.

import { get } from "../api.js";
import { h, clear, errorBox, field, select, pager, badge, fmt, loading } from "../ui.js";
import { liveGeneration, needSite } from "./common.js";
import { startManualRun } from "./manual.js";
import { authImage } from "./images.js";

const PAGE_SIZE = 25;

async function clusterOptions(ctx) {
  const page = await get(`/sites/${ctx.site.id}/clusters`, { limit: 500 });
  return [["", "Any cluster"], ...page.items.map((c) => [c.id, c.name])];
}

/** A list page. config: {title, path, kind, filters, columns, manual, detail, before} */
export async function listPage(main, ctx, config) {
  if (needSite(main, ctx)) return null;
  await ctx.refreshSites(); // the site's active run may have started since
  const site = ctx.site;
  const values = { offset: 0, ...(config.initial || {}) };
  const selected = new Set();
  let stopLive = null;
  const table = h("div.list", { "aria-live": "off" });
  const controls = h("form.filters", { role: "search", "aria-label": `Filter ${config.title.toLowerCase()}`, onsubmit: (e) => { e.preventDefault(); values.offset = 0; load(); } });
  for (const f of config.filters || []) {
    let control;
    if (f.type === "search") control = h("input", { type: "search", name: f.name, maxLength: 300, placeholder: f.placeholder || "Search" });
    else if (f.type === "cluster") control = select(await clusterOptions(ctx), "", { name: f.name });
    else control = select(f.options, "", { name: f.name });
    if (values[f.name] !== undefined) control.value = values[f.name];
    control.addEventListener(f.type === "search" ? "input" : "change", () => {
      values[f.name] = control.value;
      values.offset = 0;
      if (f.type === "search") { clearTimeout(control._t); control._t = setTimeout(load, 300); } else load();
    });
    controls.append(field(f.label, control));
  }
  const selection = h("div.selection", { "aria-live": "polite", hidden: !config.manual });
  const renderSelection = () => {
    if (!config.manual) return;
    clear(selection,
      h("span.num", `${fmt(selected.size)} selected`),
      h("button.primary", { type: "button", disabled: !selected.size, onclick: () => startManualRun(ctx, config.manual, [...selected], () => load()) },
        `${config.manual.label} (${fmt(selected.size)})`));
  };

  async function load() {
    if (stopLive) { stopLive(); stopLive = null; }
    const query = { limit: PAGE_SIZE, offset: values.offset };
    for (const f of config.filters || []) query[f.name] = values[f.name];
    let page;
    try {
      page = await get(`/sites/${site.id}/${config.path}`, query);
    } catch (err) {
      return clear(table, errorBox(err, { retry: load }));
    }
    const cells = new Map();
    const head = h("tr",
      config.manual ? h("th.check", h("input", { type: "checkbox", "aria-label": "Select all on this page", onchange: (e) => {
        for (const row of page.items) { if (e.target.checked) selected.add(row.id); else selected.delete(row.id); }
        for (const box of table.querySelectorAll("input[data-row]")) box.checked = e.target.checked;
        renderSelection();
      } })) : null,
      config.columns.map((c) => h("th", { className: c.num ? "num" : "" }, c.label)),
      config.kind ? h("th", "Generation") : null);
    const rows = page.items.map((row) => {
      const gen = h("td.gen", { dataset: { generation: row.id } }, h("span.muted", "—"));
      if (config.kind) cells.set(row.id, gen);
      const tr = h("tr", { dataset: { id: row.id } },
        config.manual ? h("td.check", h("input", { type: "checkbox", checked: selected.has(row.id), dataset: { row: row.id }, "aria-label": `Select ${config.rowName ? config.rowName(row) : row.id}`,
          onchange: (e) => { if (e.target.checked) selected.add(row.id); else selected.delete(row.id); renderSelection(); } })) : null,
        config.columns.map((c) => h("td", { className: c.num ? "num" : "" }, c.cell(row))),
        config.kind ? gen : null);
      if (!config.detail) return tr;
      const more = h("tr.detail", { hidden: true }, h("td", { colSpan: 99 }, config.detail(row)));
      const toggle = h("button.link", { type: "button", "aria-expanded": "false", onclick: () => {
        more.hidden = !more.hidden;
        toggle.setAttribute("aria-expanded", String(!more.hidden));
      } }, config.detailLabel || "Details");
      tr.querySelector("td:not(.check)").append(" ", toggle);
      return [tr, more];
    });
    clear(table,
      page.items.length
        ? h("div.table-wrap", h("table", h("thead", head), h("tbody", rows.flat())))
        : h("p.muted.empty", config.empty || "Nothing here yet."),
      pager(page, (offset) => { values.offset = offset; load(); }));
    if (config.kind) stopLive = liveGeneration(ctx, config.kind, cells, () => load());
  }

  main.append(h("h1", config.title));
  if (config.before) main.append(config.before(() => { values.offset = 0; load(); }));
  main.append(h("section.card", controls, selection, table));
  renderSelection();
  table.append(loading());
  await load();
  return () => { if (stopLive) stopLive(); };
}

function outline(sections) {
  if (!sections?.length) return h("p.muted", "No outline.");
  return h("ol.outline", sections.map((s) => h("li", s.heading || s.title || "",
    (s.subheadings || []).length ? h("ul", s.subheadings.map((x) => h("li", typeof x === "string" ? x : x.heading || ""))) : null)));
}

export const clusters = (main, ctx) => listPage(main, ctx, {
  title: "Clusters", path: "clusters", kind: "cluster",
  manual: { stage: "generate_ideas", label: "Generate ideas", kind: "cluster" },
  rowName: (r) => r.name,
  filters: [
    { name: "status", label: "Status", options: [["", "Any status"], ["new", "No ideas yet"], ["mapped", "Has ideas"]] },
    { name: "q", label: "Name contains", type: "search" },
  ],
  columns: [
    { label: "Cluster", cell: (r) => h("span", h("strong", r.name), h("br"), h("small.muted", r.description)) },
    { label: "Intent", cell: (r) => r.intent },
    { label: "Keywords", num: true, cell: (r) => h("a", { href: `#/keywords/cluster/${r.id}` }, fmt(r.keywords_count)) },
    { label: "Volume", num: true, cell: (r) => fmt(r.volume) },
    { label: "Status", cell: (r) => badge(r.status) },
  ],
});

export const ideas = (main, ctx) => listPage(main, ctx, {
  title: "Ideas", path: "ideas", kind: "idea",
  filters: [
    { name: "status", label: "Status", options: [["", "Any status"], ["new", "New"], ["queued", "Queued"], ["completed", "Completed"]] },
    { name: "cluster_id", label: "Cluster", type: "cluster" },
    { name: "q", label: "Title contains", type: "search" },
  ],
  columns: [
    { label: "Idea", cell: (r) => h("span", h("strong", r.title), h("br"), h("small.muted", `${r.content_structure} · ${r.primary_keyword}`)) },
    { label: "Words", num: true, cell: (r) => fmt(r.target_word_count) },
    { label: "Status", cell: (r) => badge(r.status) },
  ],
  detailLabel: "Outline",
  detail: (r) => h("div", h("p", r.description), h("p.muted", `Keywords: ${r.keywords.join(", ")}`), outline(r.outline)),
});

export const tasks = (main, ctx) => listPage(main, ctx, {
  title: "Tasks", path: "tasks", kind: "task",
  manual: { stage: "generate_content", label: "Write articles", kind: "task" },
  rowName: (r) => r.title,
  filters: [
    { name: "status", label: "Status", options: [["", "Any status"], ["queued", "Queued"], ["completed", "Completed"]] },
    { name: "cluster_id", label: "Cluster", type: "cluster" },
    { name: "q", label: "Title contains", type: "search" },
  ],
  columns: [
    { label: "Task", cell: (r) => h("span", h("strong", r.title), h("br"), h("small.muted", `${r.content_type} · ${r.content_structure}`)) },
    { label: "Words", num: true, cell: (r) => fmt(r.target_word_count) },
    { label: "Status", cell: (r) => badge(r.status) },
  ],
  detailLabel: "Outline",
  detail: (r) => outline(r.outline),
});

export const images = (main, ctx) => listPage(main, ctx, {
  title: "Images", path: "images", kind: "image",
  manual: { stage: "generate_images", label: "Generate images", kind: "image" },
  rowName: (r) => `image ${r.id}`,
  filters: [
    { name: "kind", label: "Kind", options: [["", "Any kind"], ["featured", "Featured"], ["in_article", "In article"]] },
    { name: "has_file", label: "File", options: [["", "Any"], ["true", "Generated"], ["false", "Not yet"]] },
  ],
  columns: [
    { label: "Image", cell: (r) => (r.file_url ? authImage(r, "thumb") : h("span.thumb.placeholder", "no file")) },
    { label: "Prompt", cell: (r) => h("span", h("small", r.prompt), h("br"), h("small.muted", `Alt: ${r.alt_text}`)) },
    { label: "Article", cell: (r) => h("a", { href: `#/content/${r.content_id}` }, `#${r.content_id}`) },
    { label: "Kind", cell: (r) => r.kind.replace("_", "-") },
    { label: "Size", num: true, cell: (r) => (r.width ? `${r.width}×${r.height}` : "–") },
  ],
});
