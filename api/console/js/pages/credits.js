// Credits: the balance, a top-up (where the server allows it) and the ledger.

import { get, post } from "../api.js";
import { h, clear, errorBox, field, pager, fmt, fmtDate } from "../ui.js";

export async function render(main, ctx) {
  const balance = await ctx.refreshCredits();
  const ledger = h("div");
  const amount = h("input.narrow", { type: "number", min: 1, max: 1000000, value: 1000, required: true, name: "amount" });
  const out = h("div", { "aria-live": "polite" });
  const topUp = async (event) => {
    event.preventDefault();
    try {
      const r = await post("/credits/top-up", { amount: Number(amount.value), idempotency_key: crypto.randomUUID().slice(0, 36) });
      clear(out, h("p.ok", `Balance now ${fmt(r.balance)} credits.`));
      ctx.refreshCredits();
      balanceEl.textContent = fmt(r.balance);
      load(0);
    } catch (err) { clear(out, errorBox(err)); }
  };
  const balanceEl = h("span.big.num", fmt(balance));
  const load = async (offset) => {
    let page;
    try { page = await get("/credits/transactions", { limit: 25, offset }); } catch (err) { return clear(ledger, errorBox(err, { retry: () => load(offset) })); }
    clear(ledger, page.items.length ? h("div.table-wrap", h("table.compact",
      h("thead", h("tr", h("th", "When"), h("th", "Operation"), h("th", "Reference"), h("th.num", "Amount"), h("th.num", "Balance after"))),
      h("tbody", page.items.map((t) => h("tr",
        h("td", fmtDate(t.created_at)), h("td", t.operation.replaceAll("_", " ")),
        h("td", t.run_id ? h("a", { href: `#/automation/${encodeURIComponent(t.run_id)}` }, t.reference || t.run_id) : t.reference),
        h("td.num", { className: `num ${t.amount < 0 ? "neg" : "pos"}` }, `${t.amount > 0 ? "+" : ""}${fmt(t.amount)}`),
        h("td.num", fmt(t.balance_after))))))) : h("p.muted", "No movements yet."),
      pager(page, load));
  };
  main.append(h("h1", "Credits"),
    h("section.card", h("h2", "Balance"), h("p", balanceEl, " credits"),
      h("form.row", { onsubmit: topUp, "aria-label": "Top up credits" }, field("Add credits", amount), h("button", { type: "submit" }, "Top up")), out),
    h("section.card", h("h2", "Ledger"), ledger));
  await load(0);
}
