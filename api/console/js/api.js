// The one door to the public API: /api/v1 with the signed-in key (kept for this tab only).

const KEY_STORAGE = "igny8.apiKey";
export const API_ROOT = "/api/v1";

export class ApiError extends Error {
  constructor(status, type, message, details) {
    super(message);
    this.status = status;
    this.type = type;
    this.details = details;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY_STORAGE); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  },
};

export function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${session.key}`, ...extra };
}

export function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(name, v));
    else params.set(name, value);
  }
  const qs = params.toString();
  return API_ROOT + path + (qs ? `?${qs}` : "");
}

/** Call the API; answers the parsed JSON or throws an ApiError with the typed error. */
export async function api(method, path, { body, form, query, signal, auth = true } = {}) {
  const headers = auth ? authHeaders() : {};
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: payload, signal, cache: "no-store" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "NetworkError", "The server cannot be reached: check the connection and try again.");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const e = (data && data.error) || {};
    const error = new ApiError(response.status, e.type || `HTTP ${response.status}`,
      e.message || response.statusText || "The request failed", e.details);
    if (response.status === 401 && auth) window.dispatchEvent(new CustomEvent("igny8:signed-out", { detail: error }));
    throw error;
  }
  return data;
}

export const get = (path, query, options = {}) => api("GET", path, { ...options, query });
export const post = (path, body, options = {}) => api("POST", path, { ...options, body });
export const patch = (path, body) => api("PATCH", path, { body });
export const put = (path, body) => api("PUT", path, { body });
export const del = (path) => api("DELETE", path);
