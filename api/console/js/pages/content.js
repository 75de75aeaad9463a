// Content: articles by editorial status; one article with its images, the post editor, the
// publish guards (one post per article, whatever the clicks) and the WordPress round trip (a post
// changed or deleted on WordPress is shown beside igny8's article until a person chooses).

import { get, patch, post } from "../api.js";
import { h, clear, errorBox, field, select, counted, badge, fmt, fmtDate, notice, loading } from "../ui.js";
import { listPage } from "./lists.js";
import { splitList } from "./common.js";
import { authImage } from "./images.js";

const META_TITLE_LIMIT = 60;
const META_DESCRIPTION_LIMIT = 160;
const EDITORIAL = ["draft", "review", "approved", "published", "archived"];
// The fields igny8 compares with WordPress's version of a post (wp_diff, changed_fields).
const WP_FIELDS = { title: "Title", content_html: "Body", excerpt: "Excerpt", slug: "Slug", status: "Post status", categories: "Categories", tags: "Tags" };
const BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, blockquote, pre, figcaption, td, th";

export function render(main, ctx, route) {
  if (route[0]) return article(main, ctx, Number(route[0]));
  return listPage(main, ctx, {
    title: "Content", path: "content", kind: "content",
    manual: { stage: "generate_image_prompts", label: "Write image prompts", kind: "article" },
    rowName: (r) => r.title,
    filters: [
      { name: "status", label: "Editorial status", options: [["", "Any status"], ...EDITORIAL.map((s) => [s, s[0].toUpperCase() + s.slice(1)])] },
      { name: "source", label: "Source", options: [["", "Any source"], ["igny8", "Written by igny8"], ["wordpress", "Imported from WordPress"]] },
      { name: "wp_changed", label: "On WordPress", options: [["", "Any"], ["true", "Changed or deleted there"]] },
      { name: "q", label: "Title contains", type: "search" },
    ],
    columns: [
      { label: "Article", cell: (r) => h("a", { href: `#/content/${r.id}` }, r.title || `(untitled #${r.id})`) },
      { label: "Words", num: true, cell: (r) => fmt(r.word_count) },
      { label: "Status", cell: (r) => badge(r.status) },
      { label: "WordPress", cell: (r) => [r.external_url && r.wp_conflict !== "deleted" ? h("a", { href: r.external_url, target: "_blank", rel: "noopener" }, "View") : "–",
        r.wp_conflict ? [" ", badge(r.wp_conflict, r.wp_conflict === "deleted" ? "deleted there" : "changed there")] : null] },
      { label: "Updated", cell: (r) => fmtDate(r.updated_at) },
    ],
    empty: "No articles yet: a run writes them (Automation), or import posts from WordPress (Sites).",
  });
}

async function article(main, ctx, id) {
  // One article view; `show` draws it again after a publish or a choice, stopping the last one.
  let stop = null;
  let gone = false;
  const view = { tab: "preview" };
  const show = async (options = {}) => {
    if (gone) return;
    if (stop) stop();
    stop = await renderArticle(main, ctx, id, view, show, options);
    if (gone && stop) stop();
  };
  await show();
  return () => { gone = true; if (stop) stop(); };
}

async function renderArticle(main, ctx, id, view, reload, { flash, focus } = {}) {
  // A redraw keeps the page on screen until the new one is ready (no flash, no jump).
  if (!main.children.length) main.append(loading());
  let c;
  try { c = await get(`/content/${id}`); } catch (err) { clear(main, errorBox(err)); return null; }
  const site = ctx.sites.find((s) => s.id === c.site_id) || ctx.site;
  const images = await get(`/sites/${c.site_id}/images`, { content_id: id, limit: 50 }).catch(() => ({ items: [] }));
  const publishBox = h("div.publish", { "aria-live": "polite" });
  const title = h("h1", { tabIndex: -1 }, c.title);
  const header = h("div.article-head",
    h("p", h("a", { href: "#/content" }, "← All articles")),
    title,
    h("p", badge(c.status), " ", h("span.muted.num", `${fmt(c.word_count)} words · ${c.source} · updated ${fmtDate(c.updated_at)}`)),
    publishBox);
  const controls = publishControls(publishBox, c, site, reload, flash);
  const tabs = h("div.tabs", { role: "tablist" });
  const panel = h("div.tab-panel", { role: "tabpanel" });
  const showTab = (name) => {
    view.tab = name;
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    clear(panel, name === "edit" ? editor(c, controls.edited) : preview(c, images.items));
  };
  for (const [name, label] of [["preview", "Article"], ["edit", "Edit"]]) {
    tabs.append(h("button", { type: "button", role: "tab", dataset: { tab: name }, onclick: () => showTab(name) }, label));
  }
  clear(main, header, c.wp_conflict ? conflictPanel(c, controls, reload) : null, tabs, panel);
  showTab(view.tab);
  if (focus) title.focus();
  return controls.stop;
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

function editor(c, onSaved) {
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
      onSaved();
      clear(out, h("p.ok", { role: "status" }, `Saved at ${new Date().toLocaleTimeString("en-GB")}.`));
    } catch (err) {
      clear(out, errorBox(err));
    } finally {
      saveButton.disabled = false;
      saveButton.textContent = "Save";
    }
  };
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

/**
 * The publish guard: one click starts one publish, whatever the clicks. Once a post exists:
 * "View on WordPress", and "Update on WordPress" when the article was edited in igny8 since its
 * last publish (a plain button when that is no longer on record). `flash` is an error to show
 * until the next action. Answers {stop, publish(body), edited(), onBusy}.
 */
function publishControls(box, c, site, reload, flash) {
  let timer = null;
  let stopped = false;
  let busy = false;
  let sawActive = false; // this page started (or joined) the publish it follows
  let lastBody = {};
  let lastDone; // when the last publish finished well, in ms; null: not on record; undefined: not asked yet
  let edited = false; // saved in this page
  let message = flash ? errorBox(flash) : null;
  const controls = { onBusy: () => {} };
  const setBusy = (flag) => { busy = flag; controls.onBusy(flag); };
  const posted = Boolean(c.external_id);
  const connected = Boolean(site?.wordpress);
  const viewLink = () => h("a.button", { href: c.external_url || site?.wordpress?.url || "#", target: "_blank", rel: "noopener", dataset: { testid: "view-on-wordpress" } }, "View on WordPress");
  const postNo = () => h("span.muted", ` Post #${c.external_id}`);
  const button = (label, testid, body, primary = true) => (connected
    ? h(primary ? "button.primary" : "button", { type: "button", dataset: { testid }, onclick: () => publish(body) }, label)
    : null);
  const busyButton = () => h("button.primary", { type: "button", disabled: true, "aria-busy": "true" }, "Publishing…");

  const idle = () => {
    setBusy(false);
    if (!posted) {
      return clear(box, message, connected ? button("Publish to WordPress", "publish", {})
        : h("p.muted", "Connect WordPress on the ", h("a", { href: "#/sites" }, "Sites"), " page to publish."));
    }
    if (c.wp_conflict === "deleted") return clear(box, message, h("p.warn", `Post #${c.external_id} is gone from WordPress: choose below.`));
    if (c.wp_conflict) return clear(box, message, viewLink(), postNo(), h("span.warn", " — changed on WordPress: choose below."));
    if (c.external_missing) {
      return clear(box, message, h("span.muted", `Post #${c.external_id} is gone from WordPress. `),
        button("Re-create on WordPress", "update", { update: true }));
    }
    const changed = edited || (lastDone === undefined ? false : lastDone === null ? null : Date.parse(c.updated_at) > lastDone + 2000);
    return clear(box, message, viewLink(), " ",
      changed !== false ? button("Update on WordPress", "update", { update: true }, changed === true) : null,
      changed ? h("span.muted", " Edited in igny8 since it was published.") : postNo());
  };

  const follow = async () => {
    if (stopped) return;
    let p;
    try { p = await get(`/content/${c.id}/publish`); } catch (err) {
      if (stopped) return;
      if (err.status === 404) { lastDone = null; return idle(); }
      clear(box, errorBox(err, { retry: follow }));
      return;
    }
    if (stopped) return;
    if (p.status === "completed") {
      if (sawActive) { notice(posted ? "Updated on WordPress." : "Published to WordPress."); reload(); return; }
      lastDone = p.finished_at ? Date.parse(p.finished_at) : null;
      return idle();
    }
    if (p.status === "failed" || p.status === "cancelled") {
      lastDone = null;
      const err = p.error || p.stages?.[0]?.error || { message: p.stages?.[0]?.message || "Publishing failed" };
      // An edit (or a deletion) found on WordPress at publish time: the article now shows it.
      if (sawActive && err.error_type === "WordPressConflictError") { reload({ flash: err, focus: true }); return; }
      // A post that exists keeps its buttons: an old failed update is not news.
      if (sawActive || !posted) message = errorBox({ ...err, action: err.action || "retry" }, { retry: () => publish(lastBody) });
      return idle();
    }
    sawActive = true;
    setBusy(true);
    clear(box, busyButton(), h("span.muted", ` ${p.stages?.[0]?.message || ""}`));
    timer = setTimeout(follow, 1000);
  };

  const publish = async (body = {}) => {
    if (busy) return; // a second click while the first is on its way does nothing
    setBusy(true);
    lastBody = body;
    message = null;
    clear(box, busyButton());
    try {
      await post(`/content/${c.id}/publish`, body);
    } catch (err) {
      // Changed or deleted on WordPress, or published meanwhile (another tab, auto-publish):
      // the article is read again and shows why, with the choices.
      if (err.type === "WordPressConflictError" || err.type === "AlreadyPublishedError") {
        reload({ flash: err, focus: true });
        return;
      }
      // Anything else but "a publish of this article is already under way" stops here.
      if (!(err.status === 409 && err.type === "ConflictError")) { message = errorBox(err); idle(); return; }
    }
    sawActive = true;
    follow();
  };

  if (!posted && c.status === "published") clear(box, h("p.muted", "Published."));
  else {
    idle();
    // What the latest publish is doing, or when it finished (a conflict waits for a choice).
    if (!c.wp_conflict) follow();
  }
  controls.stop = () => { stopped = true; clearTimeout(timer); };
  controls.publish = publish;
  controls.edited = () => { edited = true; if (!busy) idle(); };
  return controls;
}

/**
 * An article whose post was changed or deleted on WordPress since igny8 published it: what
 * happened, the two versions side by side where they differ, and the three ways out.
 */
function conflictPanel(c, controls, reload) {
  const deleted = c.wp_conflict === "deleted";
  const v = c.wp_version || {};
  const out = h("div", { "aria-live": "polite" });
  const buttons = [];
  const setBusy = (flag) => { for (const b of buttons) b.disabled = flag; };
  controls.onBusy = setBusy;
  const choose = (path, done) => async () => {
    setBusy(true);
    try {
      await post(`/content/${c.id}/wordpress/${path}`);
      notice(done, { kind: "ok" });
      reload({ focus: true });
    } catch (err) {
      setBusy(false);
      clear(out, errorBox(err));
    }
  };
  const overwrite = () => {
    const question = deleted
      ? "Publish igny8's article to WordPress again as a new post?"
      : "Replace the post on WordPress with igny8's article? The changes made on WordPress will be lost.";
    if (confirm(question)) controls.publish({ overwrite: true });
  };
  if (!deleted) {
    buttons.push(h("button.primary", { type: "button", dataset: { testid: "wp-adopt" }, onclick: choose("adopt", "igny8's article is now WordPress's version.") }, "Use WordPress's version"));
  }
  buttons.push(
    h("button", { type: "button", dataset: { testid: "wp-keep" }, onclick: choose("keep", deleted ? "Kept igny8's article: publish it to re-create the post." : "Kept igny8's article: updating the post will overwrite WordPress's version.") }, "Keep igny8's"),
    h("button.danger", { type: "button", dataset: { testid: "wp-overwrite" }, onclick: overwrite }, deleted ? "Publish again on WordPress" : "Publish and overwrite WordPress"));
  const fields = (v.changed_fields || []).map((f) => WP_FIELDS[f] || f).join(", ");
  const headingId = `wp-conflict-${c.id}`;
  return h("section.card.conflict", { "aria-labelledby": headingId, dataset: { testid: "wp-conflict" } },
    h("h2", { id: headingId }, deleted ? "Deleted on WordPress" : `Changed on WordPress at ${fmtDate(c.wp_changed_at)}`),
    deleted
      ? h("p", `Post #${c.external_id} is gone from WordPress (deleted, or in the trash). igny8 will not publish it again unless you choose to.`)
      : h("p", `Someone changed post #${v.post_id ?? c.external_id} on WordPress${fields ? ` (${fields})` : ""} since igny8 published it. `,
        "Publishing waits until you choose which version to keep. ",
        v.link ? h("a", { href: v.link, target: "_blank", rel: "noopener" }, "Open it on WordPress") : null),
    deleted ? null : versions(c, v),
    h("div.actions", buttons),
    h("p.hint", deleted
      ? "Keep igny8's: the next publish makes a new post. Publish again: makes it now."
      : "Use WordPress's version: igny8's title, body, excerpt, slug, categories and tags become WordPress's (the editorial status stays). Keep igny8's: the next update overwrites the post. Publish and overwrite: replaces it now."),
    out);
}

/** igny8's article and WordPress's version side by side, for the fields that differ. */
function versions(c, v) {
  const diff = c.wp_diff || [];
  if (!diff.length) return h("p.muted", "The two versions now match in every field igny8 compares.");
  const value = (name, side) => {
    const mine = side === "igny8";
    if (name === "content_html") return bodyBlocks(mine ? c.content_html : v.content_html, mine ? v.content_html : c.content_html, mine ? "igny8's body" : "WordPress's body");
    if (name === "excerpt") return htmlText(mine ? c.excerpt || c.meta_description : v.excerpt) || "–";
    if (name === "status") return mine ? h("span.muted", "(set when publishing)") : v.status || "–";
    if (name === "categories" || name === "tags") return (mine ? c[name] : v[name] || []).join(", ") || "–";
    return (mine ? c[name] : v[name]) || "–";
  };
  return h("div.table-wrap", h("table.versions",
    h("caption", "Where the two versions differ"),
    h("thead", h("tr", h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "igny8"), h("th", { scope: "col" }, "WordPress"))),
    h("tbody", diff.map((name) => h("tr", { dataset: { field: name } },
      h("th", { scope: "row" }, WP_FIELDS[name] || name),
      h("td", { dataset: { side: "igny8" } }, value(name, "igny8")),
      h("td", { dataset: { side: "wordpress" } }, value(name, "wordpress")))))));
}

/** The text of an HTML fragment, read in an inert document (nothing runs, nothing loads). */
function parse(html) {
  return new DOMParser().parseFromString(`<!doctype html><body>${html || ""}`, "text/html").body;
}

function htmlText(html) {
  return parse(html).textContent.replace(/\s+/g, " ").trim();
}

/** A body as its paragraphs and headings, those not found in the other version marked. */
function bodyBlocks(html, otherHtml, label) {
  const texts = (body) => {
    const found = [...body.querySelectorAll(BLOCKS)].filter((el) => !el.querySelector(BLOCKS))
      .map((el) => el.textContent.replace(/\s+/g, " ").trim()).filter(Boolean);
    return found.length ? found : [body.textContent.replace(/\s+/g, " ").trim()].filter(Boolean);
  };
  const other = new Set(texts(parse(otherHtml)));
  const mine = texts(parse(html));
  if (!mine.length) return h("span.muted", "(empty)");
  // Scrolls when long: focusable, so the keyboard can scroll it too.
  return h("ul.blocks", { tabIndex: 0, "aria-label": label }, mine.map((t) => h("li", other.has(t) ? t : h("mark", { title: "Not in the other version" }, t))));
}
