// Small DOM helpers: elements, badges, tables with paging, errors in words, notices, dialogs.

/** h("div.card", {attrs}, ...children): an element; strings become text (never HTML). */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name in el && !name.includes("-") && name !== "list") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
export const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "–");

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A status badge: generation, editorial, run and stage statuses each have their colour. */
export function badge(status, label) {
  return h(`span.badge.s-${String(status || "none").replace(/[^a-z_]/g, "")}`, { dataset: { status: status || "" } }, label || status || "–");
}

const FIELD_WORDS = {
  "wordpress.url": "WordPress URL", "wordpress.username": "WordPress user name",
  "wordpress.app_password": "application password", meta_description: "meta description",
  meta_title: "meta title", content_html: "HTML body", "schedule.cron": "cron expression",
  "schedule.timezone": "time zone",
};

function fieldName(loc) {
  const parts = (loc || []).filter((p) => !["body", "query", "path"].includes(p));
  const key = parts.join(".");
  return FIELD_WORDS[key] || key.replaceAll("_", " ");
}

/** What went wrong, in words, and what to do about it: {title, text, action}. */
export function describeError(err) {
  const type = err?.type || err?.error_type || "Error";
  const message = err?.message || err?.error_message || "Something went wrong";
  const status = err?.status;
  const plannedAction = err?.action;
  if (type === "WordPressConflictError") {
    const gone = err?.details?.reason === "deleted" || /deleted on WordPress/.test(message);
    return { title: gone ? "Deleted on WordPress" : "Changed on WordPress", text: message, action: null };
  }
  if (type === "AlreadyPublishedError") return { title: "Already on WordPress", text: message, action: null };
  if (status === 402 || type === "InsufficientCreditsError" || plannedAction === "top_up") {
    return { title: "Not enough credits", text: message, action: "top_up" };
  }
  if (status === 422 || type === "ValidationError" || plannedAction === "fix_input") {
    const list = Array.isArray(err?.details) ? err.details.filter((d) => d && d.msg) : [];
    const text = list.length
      ? list.slice(0, 5).map((d) => (fieldName(d.loc) ? `${fieldName(d.loc)}: ${d.msg}` : d.msg)).join("; ")
      : message;
    return { title: "Please fix the input", text, action: "fix_input" };
  }
  if (status === 401) return { title: "Signed out", text: message, action: "sign_in" };
  if (status === 404) return { title: "Not found", text: `${message}. It may have been deleted.`, action: null };
  if (status === 409) return { title: "Not possible right now", text: message, action: null };
  if (status === 413) return { title: "Too large", text: message, action: "fix_input" };
  if (status === 502 && /WordPress/i.test(type + message)) {
    return { title: "WordPress refused", text: message, action: "fix_wordpress" };
  }
  if (status === 0 || status === 503 || status === 504 || status === 502 || status === 429) {
    return { title: "Service not reachable", text: message, action: "retry" };
  }
  if (status >= 500) return { title: "Something went wrong on the server", text: message, action: "retry" };
  return { title: humanType(type), text: message, action: plannedAction || null };
}

function humanType(type) {
  return String(type).replace(/Error$/, "").replace(/([a-z])([A-Z])/g, "$1 $2") || "Error";
}

/** An error box with its action button (top up / retry / fix). */
export function errorBox(err, { retry } = {}) {
  const d = describeError(err);
  const actions = [];
  if (d.action === "top_up") actions.push(h("a.button", { href: "#/credits" }, "Top up credits"));
  if (d.action === "retry" && retry) actions.push(h("button", { type: "button", onclick: retry }, "Retry"));
  if (d.action === "fix_wordpress") actions.push(h("a.button", { href: "#/sites" }, "Fix the WordPress connection"));
  if (d.action === "sign_in") actions.push(h("a.button", { href: "#/" }, "Sign in again"));
  return h("div.error", { role: "alert", dataset: { errorType: err?.type || err?.error_type || "" } },
    h("strong", d.title), " ", h("span", d.text), actions.length ? h("div.actions", actions) : null);
}

/** A short-lived notice in the corner; `sticky` ones stay until closed. */
export function notice(text, { kind = "info", sticky = false, link } = {}) {
  const box = document.getElementById("notices");
  const close = h("button.link", { type: "button", "aria-label": "Dismiss notice", onclick: () => item.remove() }, "×");
  const item = h(`div.notice.${kind}`, h("span", text), link ? h("a", { href: link.href }, link.text) : null, close);
  box.append(item);
  if (!sticky) setTimeout(() => item.remove(), 6000);
  return item;
}

/** A labelled form control. */
export function field(label, control, hint) {
  const target = control.matches("input, select, textarea") ? control : control.querySelector("input, select, textarea");
  const id = target.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  target.id = id;
  return h("div.field", h("label", { htmlFor: id }, label), control, hint ? h("small.hint", hint) : null);
}

export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, text)));
}

/** A text input with a live "n / limit" counter. */
export function counted(input, limit) {
  const out = h("small.counter.num", { "aria-live": "polite" });
  const update = () => {
    const n = input.value.length;
    out.textContent = `${n} / ${limit}`;
    out.classList.toggle("over", n > limit);
  };
  input.addEventListener("input", update);
  update();
  return h("div.counted", input, out);
}

/** Previous / next paging for a list answer {total, limit, offset}. */
export function pager(page, go) {
  const { total, limit, offset } = page;
  const from = total ? offset + 1 : 0;
  const to = Math.min(offset + limit, total);
  return h("div.pager",
    h("button", { type: "button", disabled: offset <= 0, onclick: () => go(Math.max(0, offset - limit)) }, "← Previous"),
    h("span.num", `${fmt(from)}–${fmt(to)} of ${fmt(total)}`),
    h("button", { type: "button", disabled: offset + limit >= total, onclick: () => go(offset + limit) }, "Next →"));
}

/** A modal dialog; answers {dialog, body, close}. */
export function dialog(title, { onclose } = {}) {
  const body = h("div.dialog-body");
  const close = () => { dlg.close(); };
  const dlg = h("dialog", { "aria-label": title },
    h("div.dialog-head", h("h2", title), h("button.link", { type: "button", "aria-label": "Close dialog", onclick: close }, "×")),
    body);
  dlg.addEventListener("close", () => { dlg.remove(); if (onclose) onclose(); });
  document.body.append(dlg);
  dlg.showModal();
  return { dialog: dlg, body, close };
}

export function progressBar(pct, label) {
  const value = Math.max(0, Math.min(100, Number(pct) || 0));
  const bar = h("div.bar");
  bar.style.width = `${value}%`;
  return h("div.progress", { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": value, "aria-label": label || "Progress" },
    bar, h("span.num", `${value.toFixed(1)}%`));
}

export function loading(text = "Loading…") {
  return h("p.loading", { role: "status" }, text);
}
