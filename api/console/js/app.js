// The console's shell: sign-in, the site picker, the pages by URL hash.

import { api, get, post, session } from "./api.js";
import { h, clear, errorBox, field, notice, fmt } from "./ui.js";
import * as sites from "./pages/sites.js";
import * as keywords from "./pages/keywords.js";
import * as lists from "./pages/lists.js";
import * as content from "./pages/content.js";
import * as automation from "./pages/automation.js";
import * as credits from "./pages/credits.js";
import { watchBackgroundRuns } from "./pages/manual.js";

const SITE_STORAGE = "igny8.siteId";
const PAGES = {
  sites: sites.render,
  keywords: keywords.render,
  clusters: lists.clusters,
  ideas: lists.ideas,
  tasks: lists.tasks,
  images: lists.images,
  content: content.render,
  automation: automation.render,
  credits: credits.render,
};

const main = document.getElementById("main");
const siteSelect = document.getElementById("site-select");
const state = { account: null, sites: [], siteId: null, cleanup: null };

export const ctx = {
  get site() { return state.sites.find((s) => s.id === state.siteId) || null; },
  get sites() { return state.sites; },
  get account() { return state.account; },
  async refreshSites() {
    const page = await get("/sites", { limit: 500 });
    state.sites = page.items;
    if (!state.sites.some((s) => s.id === state.siteId)) state.siteId = state.sites[0]?.id ?? null;
    renderSitePicker();
    return state.sites;
  },
  setSite(id) {
    state.siteId = id;
    sessionStorage.setItem(SITE_STORAGE, String(id ?? ""));
    renderSitePicker();
  },
  async refreshCredits() {
    try {
      const { balance } = await get("/credits");
      const chip = document.getElementById("credits-chip");
      chip.hidden = false;
      chip.textContent = `${fmt(balance)} credits`;
      return balance;
    } catch { return null; }
  },
};

function renderSitePicker() {
  const picker = siteSelect.closest("label");
  picker.hidden = !state.account;
  clear(siteSelect, state.sites.length
    ? state.sites.map((s) => h("option", { value: s.id, selected: s.id === state.siteId }, s.name))
    : h("option", { value: "" }, "No site yet"));
}

siteSelect.addEventListener("change", () => {
  ctx.setSite(Number(siteSelect.value) || null);
  route();
});

function signInPage(message) {
  const keyInput = h("input", { type: "password", autocomplete: "off", required: true, placeholder: "igny8_…", name: "api_key" });
  const out = h("div");
  const nameInput = h("input", { type: "text", required: true, maxLength: 200, name: "account_name" });
  const signUpOut = h("div");
  const signIn = async (event) => {
    event.preventDefault();
    session.key = keyInput.value.trim();
    try {
      await start();
    } catch (err) {
      session.key = null;
      clear(out, errorBox(err));
    }
  };
  const signUp = async (event) => {
    event.preventDefault();
    try {
      const created = await api("POST", "/accounts", { body: { name: nameInput.value }, auth: false });
      clear(signUpOut, h("div.card.ok",
        h("p", "Your API key (shown once — store it somewhere safe):"),
        h("code.key", { tabIndex: 0 }, created.api_key),
        h("p", "It has been filled in above: sign in with it.")));
      keyInput.value = created.api_key;
    } catch (err) {
      clear(signUpOut, errorBox(err));
    }
  };
  clear(main,
    h("section.signin",
      h("h1", "Sign in to igny8"),
      message ? h("p.error", { role: "alert" }, message) : null,
      h("form", { onsubmit: signIn, "aria-label": "Sign in" },
        field("API key", keyInput, "Kept for this browser tab only; closing the tab signs you out."),
        h("button.primary", { type: "submit" }, "Sign in")),
      out,
      h("details",
        h("summary", "No key yet? Create an account"),
        h("form", { onsubmit: signUp, "aria-label": "Create an account" },
          field("Account name", nameInput),
          h("button", { type: "submit" }, "Create account")),
        signUpOut)));
  for (const el of ["nav", "sign-out", "credits-chip"]) document.getElementById(el).hidden = true;
  siteSelect.closest("label").hidden = true;
  keyInput.focus();
}

async function start() {
  state.account = await get("/account");
  const saved = Number(sessionStorage.getItem(SITE_STORAGE)) || null;
  state.siteId = saved;
  await ctx.refreshSites();
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
  ctx.refreshCredits();
  watchBackgroundRuns();
  if (!location.hash || location.hash === "#/" || location.hash === "#") location.hash = "#/sites";
  else route();
}

async function route() {
  if (!session.key || !state.account) return;
  if (state.cleanup) { try { state.cleanup(); } catch { /* page gone */ } state.cleanup = null; }
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const render = PAGES[name] || PAGES.sites;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.getAttribute("href") === `#/${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  // Each visit renders into its own element: a slower, older render lands off-screen.
  const view = h("div.view");
  clear(main, view);
  const token = (state.token = (state.token || 0) + 1);
  try {
    const cleanup = (await render(view, ctx, rest)) || null;
    if (token === state.token) state.cleanup = cleanup;
    else if (cleanup) cleanup();
  } catch (err) {
    if (token === state.token) clear(view, errorBox(err, { retry: route }));
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("igny8:signed-out", () => {
  session.key = null;
  state.account = null;
  signInPage("Your key was not accepted (revoked or wrong): sign in again.");
});
document.getElementById("sign-out").addEventListener("click", () => {
  session.key = null;
  state.account = null;
  location.hash = "#/";
  signInPage();
  notice("Signed out.");
});

if (session.key) start().catch(() => signInPage());
else signInPage();
