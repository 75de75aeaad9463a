// Keywords: import a CSV or JSON file (created / duplicates / rejected rows with their lines),
// and the list with filters, status and generation badges, and "cluster these".

import { api } from "../api.js";
import { h, clear, errorBox, field, badge, fmt } from "../ui.js";
import { listPage } from "./lists.js";

export function render(main, ctx, route) {
  const initial = route[0] === "cluster" && route[1] ? { cluster_id: route[1] } : {};
  return listPage(main, ctx, {
    title: "Keywords", path: "keywords", kind: "keyword", initial,
    manual: { stage: "cluster_keywords", label: "Cluster keywords", kind: "keyword" },
    rowName: (r) => r.text,
    before: (reload) => importSection(ctx, reload),
    filters: [
      { name: "status", label: "Status", options: [["", "Any status"], ["new", "New"], ["mapped", "Mapped"]] },
      { name: "cluster_id", label: "Cluster", type: "cluster" },
      { name: "q", label: "Keyword contains", type: "search" },
    ],
    columns: [
      { label: "Keyword", cell: (r) => r.text },
      { label: "Volume", num: true, cell: (r) => fmt(r.volume) },
      { label: "Difficulty", num: true, cell: (r) => fmt(r.difficulty) },
      { label: "CPC", num: true, cell: (r) => r.cpc.toFixed(2) },
      { label: "Intent", cell: (r) => r.intent },
      { label: "Status", cell: (r) => badge(r.disabled ? "disabled" : r.status) },
      { label: "Cluster", cell: (r) => (r.cluster_id ? h("a", { href: `#/keywords/cluster/${r.cluster_id}` }, `#${r.cluster_id}`) : "–") },
    ],
    empty: "No keywords yet: import a CSV or JSON file above.",
  });
}

function importSection(ctx, reload) {
  const file = h("input", { type: "file", accept: ".csv,.json,text/csv,application/json", required: true, name: "keywords_file" });
  const out = h("div.import-result", { "aria-live": "polite" });
  const button = h("button.primary", { type: "submit" }, "Import");
  const submit = async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    button.disabled = true;
    button.textContent = "Importing…";
    try {
      let result;
      if (/\.json$/i.test(chosen.name) || chosen.type === "application/json") {
        let items;
        try { items = JSON.parse(await chosen.text()); } catch (err) {
          throw { status: 422, type: "ValidationError", message: `The file is not valid JSON: ${err.message}` };
        }
        if (!Array.isArray(items)) throw { status: 422, type: "ValidationError", message: "The JSON file must hold a list of keywords, e.g. [{\"keyword\": \"…\", \"volume\": 100}]" };
        if (items.every((x) => typeof x === "string")) items = items.map((keyword) => ({ keyword }));
        result = await api("POST", `/sites/${ctx.site.id}/keywords`, { body: items });
      } else {
        const form = new FormData();
        form.append("file", chosen);
        result = await api("POST", `/sites/${ctx.site.id}/keywords/import`, { form });
      }
      clear(out, importReport(result));
      reload();
    } catch (err) {
      clear(out, errorBox(err));
    } finally {
      button.disabled = false;
      button.textContent = "Import";
    }
  };
  return h("section.card",
    h("h2", "Import keywords"),
    h("p.muted", "CSV with columns keyword, volume, difficulty, cpc, intent, country (a header row in any order), or a JSON list of the same fields."),
    h("form.row.import-form", { onsubmit: submit, "aria-label": "Import keywords" }, field("File", file), button),
    out);
}

function importReport(r) {
  const rejected = r.rejected || [];
  return h("div", { role: "status" },
    h("ul.summary.num",
      h("li", h("strong", fmt(r.created)), " created"),
      h("li", h("strong", fmt(r.duplicates_in_file)), " duplicates in the file"),
      h("li", h("strong", fmt(r.duplicates_existing)), " already on the site"),
      h("li", h("strong", fmt(r.rejected_total ?? rejected.length)), " rejected")),
    rejected.length ? h("div.table-wrap", h("table.compact.rejected",
      h("caption", "Rejected rows"),
      h("thead", h("tr", h("th.num", "Line"), h("th", "Reason"))),
      h("tbody", rejected.map((row) => h("tr", h("td.num", `Line ${row.line}`), h("td", row.reason)))))) : null,
    (r.rejected_total || 0) > rejected.length ? h("p.muted", `…and ${fmt(r.rejected_total - rejected.length)} more rejected rows.`) : null);
}
