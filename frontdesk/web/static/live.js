"use strict";
// Live view: poll the frame (one request at a time) and the placement check.
(() => {
  const img = document.getElementById("frame");
  const message = document.getElementById("frame-message");
  const overlays = document.getElementById("overlays");
  const paused = document.getElementById("paused");
  let objectUrl = null;

  async function nextFrame() {
    if (paused.checked || document.hidden) { setTimeout(nextFrame, 500); return; }
    try {
      const response = await fetch(`/api/frame.jpg?overlays=${overlays.checked}&t=${Date.now()}`,
        { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { location.href = "/login?next=/live"; return; }
      if (!response.ok) {
        let text = "no frame";
        try { text = (await response.json()).error; } catch (e) { /* not JSON */ }
        message.textContent = text; message.hidden = false;
        if (!objectUrl) img.hidden = true;  // no broken-image icon before the first frame
        setTimeout(nextFrame, 1000);
        return;
      }
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      img.onload = () => { if (objectUrl) URL.revokeObjectURL(objectUrl); objectUrl = url; };
      img.src = url;
      img.hidden = false;
      message.hidden = true;
    } catch (e) {
      message.textContent = "no answer from frontdesk"; message.hidden = false;
    }
    setTimeout(nextFrame, 200);
  }

  function pct(v) { return v === null ? "-" : Math.round(100 * v) + " %"; }
  function num(v, unit) { return v === null ? "-" : Math.round(v) + unit; }

  async function placement() {
    try {
      const r = await fd.api("/api/placement");
      const status = document.getElementById("placement-status");
      status.textContent = r.frames < 15 ? `${r.frames} frames so far` :
        (r.ok ? `Placement looks right (${r.frames} frames).` : `${r.warnings.length} problem(s) over ${r.frames} frames:`);
      status.className = r.ok ? "good" : (r.frames < 15 ? "muted" : "bad");
      const warnings = document.getElementById("placement-warnings");
      warnings.replaceChildren(...r.warnings.map((w) => fd.el("li", { text: w })));
      const notes = document.getElementById("placement-notes");
      notes.replaceChildren(...r.notes.map((w) => fd.el("li", { text: w })));
      const body = document.querySelector("#placement-table tbody");
      body.replaceChildren(...r.zones.map((z) => fd.el("tr", {},
        fd.el("td", { text: `${z.counter_name || z.counter_id} ${z.zone}` }),
        fd.el("td", { text: pct(z.face_share) }),
        fd.el("td", { text: num(z.median_face_px, " px") }),
        fd.el("td", { text: num(z.median_view_deg, "°") }))));
    } catch (e) { /* shown by the health line */ }
  }

  // The legend comes from the code that draws the overlays: every colour it can draw.
  async function legend() {
    try {
      const r = await fd.api("/api/legend");
      const list = document.getElementById("legend");
      list.replaceChildren(...r.items.map((item) => {
        const swatch = fd.el("span", { class: "swatch" });
        swatch.style.backgroundColor = item.color;  // CSSOM: allowed by the CSP
        return fd.el("li", { "data-key": item.key, "data-color": item.color }, swatch, item.text);
      }));
    } catch (e) { /* shown by the health line */ }
  }

  // With a pose: what this camera (and the others of its counter) can measure, from the
  // placement planner; the Floor plan page shows every view of the counter.
  async function cameraPlan() {
    try {
      const r = await fd.api("/api/plan");
      const list = document.getElementById("plan-lines");
      const lines = [];
      for (const c of r.counters) {
        if (!c.plan) continue;
        const n = c.cameras.length;
        for (const line of c.plan.summary) lines.push(`${c.name}: ${line}`);
        if (n > 1) lines.push(`${c.name}: ${n} cameras; see both views on the Floor plan page`);
      }
      list.replaceChildren(...lines.map((t) => fd.el("li", { text: t })));
      document.getElementById("plan-card").hidden = lines.length === 0;
    } catch (e) { /* shown by the health line */ }
  }

  nextFrame();
  legend();
  cameraPlan();
  placement();
  setInterval(placement, 5000);
})();
