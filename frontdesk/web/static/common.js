"use strict";
// Shared helpers for every page: JSON API calls, messages, the health line.
const fd = (() => {
  async function api(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.body !== undefined && typeof options.body !== "string") {
      options = { ...options, body: JSON.stringify(options.body) };
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, { credentials: "same-origin", ...options, headers });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      throw new Error("log in first");
    }
    if (!response.ok) {
      const error = new Error((data && data.error) || ("HTTP " + response.status));
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function show(element, text, kind) {
    element.textContent = text;
    element.hidden = !text;
    element.className = "message" + (kind ? " " + kind : "");
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function seconds(value) {
    return value === null || value === undefined ? "-" : value.toFixed(value < 10 ? 1 : 0) + " s";
  }

  // The header's health line; a page with a live stream (the dashboard) feeds it each
  // state it receives, so the header never contradicts the page below it.
  function showHealth(h) {
    const line = document.getElementById("health");
    if (!line) return;
    if (!h) {
      line.textContent = "no answer from frontdesk";
      line.classList.add("bad");
      return;
    }
    const age = h.last_frame_age_s === null ? "no frame yet" : "last frame " + h.last_frame_age_s.toFixed(1) + " s ago";
    line.textContent = h.preparing ? `camera ${h.camera}: ${h.preparing}` :
      `camera ${h.camera}, ${h.fps.toFixed(1)} fps, ${age}`;
    line.classList.toggle("bad", h.camera !== "online");
  }

  async function health() {
    try {
      showHealth((await api("/api/status")).health);
    } catch (e) {
      showHealth(null);
    }
  }

  // With several cameras: which camera this page is, and the same page on the others
  // (each camera's worker serves its own UI on its own port, on this host name).
  function cameras(s) {
    if (!s || !s.camera || !s.cameras) return;
    const brand = document.querySelector("header.nav > strong");
    if (!brand || document.getElementById("cameras")) return;
    const nav = el("span", { id: "cameras", class: "cameras" });
    for (const c of s.cameras) {
      let title = "counters: " + c.counters.join(", ");
      if (c.served_by) title += " (one counter with camera " + c.served_by + ": its pages)";
      if (c.current) {
        nav.append(el("span", { class: "camera current", title, text: "camera " + c.id }));
      } else if (c.served_by && c.served_by === s.camera) {  // this page is its counter's too
        nav.append(el("span", { class: "camera current", title, text: "+ " + c.id }));
      } else if (c.url) {
        const href = new URL(location.pathname + location.search, c.url).href;
        nav.append(el("a", { class: "camera", href, title, text: c.id }));
      } else {
        nav.append(el("span", { class: "camera muted", title: title + " (port unknown)", text: c.id }));
      }
    }
    brand.after(nav);
    document.title += " (camera " + s.camera + ")";
  }

  async function session() {
    try {
      const s = await api("/api/session");
      const form = document.getElementById("logout-form");
      if (form && s.auth === "open") form.hidden = true;
      cameras(s);
      return s;
    } catch (e) { return null; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    session();
    health();
    setInterval(health, 5000);
  });

  function segmentDistance(p, a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len = dx * dx + dy * dy;
    let t = len > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len : 0;
    t = Math.max(0, Math.min(1, t));
    return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
  }

  // Add point to a polygon (a list of [x, y], changed in place) on its nearest
  // edge; the new vertex's index. The zone editor and the floor plan share it.
  function insertVertex(poly, point) {
    if (poly.length < 3) { poly.push(point); return poly.length - 1; }
    let best = 0, bestD = Infinity;
    for (let i = 0; i < poly.length; i++) {
      const d = segmentDistance(point, poly[i], poly[(i + 1) % poly.length]);
      if (d < bestD) { best = i; bestD = d; }
    }
    poly.splice(best + 1, 0, point);
    return best + 1;
  }

  return { api, show, el, seconds, health, showHealth, session, insertVertex };
})();
