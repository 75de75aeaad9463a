// Content: articles by editorial status; one article with its images, the post editor and the
// publish guards (one post per article, whatever the clicks).

import { get, patch, post } from "../api.js";
import { h, clear, errorBox, field, select, counted, badge, fmt, fmtDate, notice, loading } from "../ui.js";
import { listPage } from "./lists.js";
import { splitList } from "./common.js";
import { authImage } from "./images.js";

const META_TITLE_LIMIT = 60;
const META_DESCRIPTION_LIMIT = 160;
const EDITORIAL = ["draft", "review", "approved", "published", "archived"];

export function render(main, ctx, route) {
  if (route[0]) return article(main, ctx, Number(route[0]));
  return listPage(main, ctx, {
    title: "Content", path: "content", kind: "content",
    manual: { stage: "generate_image_prompts", label: "Write image prompts", kind: "article" },
    rowName: (r) => r.title,
    filters: [
      { name: "status", label: "Editorial status", options: [["", "Any status"], ...EDITORIAL.map((s) => [s, s[0].toUpperCase() + s.slice(1)])] },
      { name: "source", label: "Source", options: [["", "Any source"], ["igny8", "Written by igny8"], ["wordpress", "Imported from WordPress"]] },
      { name: "q", label: "Title contains", type: "search" },
    ],
    columns: [
      { label: "Article", cell: (r) => h("a", { href: `#/content/${r.id}` }, r.title || `(untitled #${r.id})`) },
      { label: "Words", num: true, cell: (r) => fmt(r.word_count) },
      { label: "Status", cell: (r) => badge(r.status) },
      { label: "WordPress", cell: (r) => (r.external_url ? h("a", { href: r.external_url, target: "_blank", rel: "noopener" }, "View") : "–") },
      { label: "Updated", cell: (r) => fmtDate(r.updated_at) },
    ],
    empty: "No articles yet: a run writes them (Automation), or import posts from WordPress (Sites).",
  });
}

async function article(main, ctx, id) {
  main.append(loading());
  let c;
  try { c = await get(`/content/${id}`); } catch (err) { clear(main, errorBox(err)); return null; }
  const site = ctx.sites.find((s) => s.id === c.site_id) || ctx.site;
  const images = await get(`/sites/${c.site_id}/images`, { content_id: id, limit: 50 }).catch(() => ({ items: [] }));
  const publishBox = h("div.publish", { "aria-live": "polite" });
  const header = h("div.article-head",
    h("p", h("a", { href: "#/content" }, "← All articles")),
    h("h1", c.title),
    h("p", badge(c.status), " ", h("span.muted.num", `${fmt(c.word_count)} words · ${c.source} · updated ${fmtDate(c.updated_at)}`)),
    publishBox);
  const tabs = h("div.tabs", { role: "tablist" });
  const panel = h("div.tab-panel", { role: "tabpanel" });
  const showTab = (name) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    clear(panel, name === "edit" ? editor(c, ctx, main) : preview(c, images.items));
  };
  for (const [name, label] of [["preview", "Article"], ["edit", "Edit"]]) {
    tabs.append(h("button", { type: "button", role: "tab", dataset: { tab: name }, onclick: () => showTab(name) }, label));
  }
  clear(main, header, tabs, panel);
  showTab("preview");
  const stop = publishControls(publishBox, c, site, () => article(clear(main), ctx, id));
  return stop;
}

function preview(c, images) {
  // The body is shown in a sandboxed frame: no script in an article can reach the console.
  const frame = h("iframe.article-frame", { sandbox: "", title: `Article: ${c.title}`, srcdoc:
    `<!doctype html><meta charset="utf-8">${c.content_html}` });
  const featured = images.filter((i) => i.kind === "featured");
  const inArticle = images.filter((i) => i.kind !== "featured");
  return h("div.article-view",
    h("dl.meta",
      h("dt", "Meta title"), h("dd", c.meta_title || "–"),
      h("dt", "Meta description"), h("dd.meta-description", c.meta_description || "–"),
      h("dt", "Primary keyword"), h("dd", c.primary_keyword || "–"),
      h("dt", "Secondary keywords"), h("dd", c.secondary_keywords.join(", ") || "–"),
      h("dt", "Categories"), h("dd", c.categories.join(", ") || "–"),
      h("dt", "Tags"), h("dd", c.tags.join(", ") || "–")),
    images.length ? h("section.gallery", { "aria-label": "Images" },
      [...featured, ...inArticle].map((i) => h("figure", authImage(i, "gallery-img"),
        h("figcaption", `${i.kind === "featured" ? "Featured" : `In article #${i.position}`}${i.has_file ? "" : " (not generated yet)"}`)))) : h("p.muted", "No images yet."),
    frame);
}

function editor(c, ctx, main) {
  const title = h("input", { type: "text", required: true, maxLength: 300, value: c.title, name: "title" });
  const body = h("textarea.code", { rows: 16, name: "content_html", spellcheck: false }, c.content_html);
  const metaTitle = h("input", { type: "text", maxLength: 300, value: c.meta_title, name: "meta_title" });
  const metaDescription = h("textarea", { rows: 3, maxLength: 500, name: "meta_description" }, c.meta_description);
  const primary = h("input", { type: "text", maxLength: 300, value: c.primary_keyword, name: "primary_keyword" });
  const secondary = h("input", { type: "text", value: c.secondary_keywords.join(", "), name: "secondary_keywords" });
  const categories = h("input", { type: "text", value: c.categories.join(", "), name: "categories" });
  const tags = h("input", { type: "text", value: c.tags.join(", "), name: "tags" });
  const status = select(EDITORIAL.filter((s) => s !== "published" || c.status === "published").map((s) => [s, s]), c.status, { name: "status" });
  const out = h("div", { "aria-live": "polite" });
  const saveButton = h("button.primary", { type: "submit" }, "Save");
  const submit = async (event) => {
    event.preventDefault();
    saveButton.disabled = true;
    saveButton.textContent = "Saving…";
    const changes = {
      title: title.value, content_html: body.value, meta_title: metaTitle.value,
      meta_description: metaDescription.value, primary_keyword: primary.value,
      secondary_keywords: splitList(secondary.value), categories: splitList(categories.value), tags: splitList(tags.value),
    };
    if (status.value !== c.status) changes.status = status.value;
    try {
      const saved = await patch(`/content/${c.id}`, changes);
      Object.assign(c, saved);
      clear(out, h("p.ok", { role: "status" }, `Saved at ${new Date().toLocaleTimeString("en-GB")}.`));
    } catch (err) {
      clear(out, errorBox(err));
    } finally {
      saveButton.disabled = false;
      saveButton.textContent = "Save";
    }
  };
  void ctx; void main;
  return h("form.editor", { onsubmit: submit, "aria-label": "Edit article" },
    field("Title", title),
    h("fieldset", h("legend", "SEO"),
      field("Meta title", counted(metaTitle, META_TITLE_LIMIT), `Search engines show about ${META_TITLE_LIMIT} characters.`),
      field("Meta description", counted(metaDescription, META_DESCRIPTION_LIMIT), `About ${META_DESCRIPTION_LIMIT} characters are shown.`),
      h("div.row", field("Primary keyword", primary), field("Secondary keywords", secondary, "Comma separated"))),
    h("fieldset", h("legend", "Taxonomy"),
      h("div.row", field("Categories", categories, "Comma separated; created on WordPress if missing"), field("Tags", tags, "Comma separated"))),
    field("HTML body", body),
    field("Editorial status", status, "draft → review → approved; publishing makes it published."),
    h("div.actions", saveButton), out);
}

/** The publish guard: a link once a post exists; otherwise one click starts one publish. */
function publishControls(box, c, site, reload) {
  let timer = null;
  let stopped = false;
  const viewLink = (href) => h("a.button", { href, target: "_blank", rel: "noopener", dataset: { testid: "view-on-wordpress" } }, "View on WordPress");
  const follow = async () => {
    if (stopped) return;
    let p;
    try { p = await get(`/content/${c.id}/publish`); } catch (err) {
      if (err.status === 404) return idle();
      clear(box, errorBox(err, { retry: follow }));
      return;
    }
    if (p.status === "completed") {
      if (sawActive) { notice("Published to WordPress."); reload(); } else idle();
      return;
    }
    if (p.status === "failed" || p.status === "cancelled") {
      busy = false;
      const err = p.error || p.stages?.[0]?.error || { message: p.stages?.[0]?.message || "Publishing failed" };
      clear(box, errorBox({ ...err, action: err.action || "retry" }, { retry: () => publish() }), publishButton());
      return;
    }
    sawActive = true;
    clear(box, h("button.primary", { type: "button", disabled: true, "aria-busy": "true" }, "Publishing…"),
      h("span.muted", ` ${p.stages?.[0]?.message || ""}`));
    timer = setTimeout(follow, 1000);
  };
  let busy = false;
  let sawActive = false;
  const publish = async () => {
    if (busy) return; // a second click while the first is on its way does nothing
    busy = true;
    clear(box, h("button.primary", { type: "button", disabled: true, "aria-busy": "true" }, "Publishing…"));
    try {
      await post(`/content/${c.id}/publish`);
    } catch (err) {
      if (err.status !== 409) { busy = false; clear(box, errorBox(err), publishButton()); return; }
      // 409: already being published (or already published): follow that one.
    }
    sawActive = true;
    follow();
  };
  const publishButton = () => h("button.primary", { type: "button", dataset: { testid: "publish" }, onclick: () => publish() }, "Publish to WordPress");
  const idle = () => {
    busy = false;
    if (!site?.wordpress) clear(box, h("p.muted", "Connect WordPress on the ", h("a", { href: "#/sites" }, "Sites"), " page to publish."));
    else clear(box, publishButton());
  };
  if (c.external_url || c.external_id) clear(box, viewLink(c.external_url || site?.wordpress?.url || "#"), h("span.muted", ` Post #${c.external_id ?? "?"}`));
  else if (c.status === "published") clear(box, h("p.muted", "Published."));
  else follow();
  return () => { stopped = true; clearTimeout(timer); };
}
