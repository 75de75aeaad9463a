// Server-sent events read with fetch() (EventSource cannot send the Authorization header):
// a small text/event-stream parser, Last-Event-ID on reconnect, backoff, and a stall watchdog.

import { API_ROOT, authHeaders } from "./api.js";

const STALL_MS = 40_000; // the server pings every 15 s: silence this long means a dead link
const MAX_BACKOFF_MS = 30_000;

/** Parse a text/event-stream: call onEvent({event, id, data}) for each complete event. */
export function eventParser(onEvent) {
  let buffer = "";
  let fields = { data: [], event: "message", id: null, retry: null };
  const dispatch = () => {
    if (fields.data.length) onEvent({ event: fields.event, id: fields.id, data: fields.data.join("\n"), retry: fields.retry });
    fields = { data: [], event: "message", id: fields.id, retry: null };
  };
  return (chunk) => {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") { dispatch(); continue; }
      if (line.startsWith(":")) continue; // a comment (the server's ping)
      const at = line.indexOf(":");
      const name = at < 0 ? line : line.slice(0, at);
      let value = at < 0 ? "" : line.slice(at + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (name === "data") fields.data.push(value);
      else if (name === "event") fields.event = value;
      else if (name === "id") fields.id = value;
      else if (name === "retry" && /^\d+$/.test(value)) fields.retry = Number(value);
    }
  };
}

/**
 * Follow a run's progress until it ends or stop() is called.
 * handlers: onProgress(progress), onEnd(progress), onState("connecting"|"live"|"reconnecting"|"closed"), onError(err)
 */
export function followRun(runId, handlers) {
  const { onProgress = () => {}, onEnd = () => {}, onState = () => {}, onError = () => {} } = handlers;
  let stopped = false;
  let lastId = null;
  let retryMs = 1000;
  let attempt = 0;
  let controller = null;
  let wake = null;

  const onOnline = () => { if (wake) wake(); };
  window.addEventListener("online", onOnline);

  async function connectOnce() {
    controller = new AbortController();
    let watchdog = null;
    const arm = () => { clearTimeout(watchdog); watchdog = setTimeout(() => controller.abort(), STALL_MS); };
    const headers = authHeaders({ Accept: "text/event-stream" });
    if (lastId) headers["Last-Event-ID"] = lastId;
    let ended = false;
    try {
      arm();
      const response = await fetch(`${API_ROOT}/runs/${encodeURIComponent(runId)}/events`, {
        headers, signal: controller.signal, cache: "no-store",
      });
      if (response.status === 401 || response.status === 404) {
        const body = await response.json().catch(() => ({}));
        onError(Object.assign(new Error(body?.error?.message || "The run cannot be followed"), { status: response.status, type: body?.error?.type }));
        return "fatal";
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      onState("live");
      attempt = 0;
      const parse = eventParser((ev) => {
        if (ev.id) lastId = ev.id;
        if (ev.retry) retryMs = ev.retry;
        let progress;
        try { progress = JSON.parse(ev.data); } catch { return; }
        if (ev.event === "end") { ended = true; onEnd(progress); }
        else onProgress(progress);
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        parse(value);
      }
    } catch (err) {
      if (stopped) return "stopped";
    } finally {
      clearTimeout(watchdog);
    }
    return ended ? "ended" : "dropped";
  }

  (async () => {
    onState("connecting");
    while (!stopped) {
      const outcome = await connectOnce();
      if (stopped || outcome === "fatal" || outcome === "ended") break;
      onState("reconnecting");
      attempt += 1;
      const delay = Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(attempt - 1, 5)) * (0.75 + Math.random() * 0.5);
      await new Promise((resolve) => { wake = resolve; setTimeout(resolve, delay); });
      wake = null;
    }
    window.removeEventListener("online", onOnline);
    onState("closed");
  })();

  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
      if (wake) wake();
      window.removeEventListener("online", onOnline);
    },
  };
}
