// Image files need the API key, which an <img src> cannot send: fetch them as blobs.

import { authHeaders } from "../api.js";
import { h } from "../ui.js";

export function authImage(image, className = "thumb") {
  const img = h(`img.${className}`, { alt: image.alt_text || `Image ${image.id}`, loading: "lazy", width: image.width || undefined, height: image.height || undefined });
  if (!image.file_url) return img;
  if (!image.file_url.startsWith("/api/")) { img.src = image.file_url; return img; }
  fetch(image.file_url, { headers: authHeaders() })
    .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
    .then((blob) => { img.src = URL.createObjectURL(blob); })
    .catch(() => { img.alt = `${img.alt} (file not available)`; });
  return img;
}
