"use strict";
// Floor plan: a counter's zones in metres on a top-down plan (x along the counter, y across
// it toward the customers, drawn upward), every camera of the counter with its view, the
// zones each view holds, and what the cameras measure together (the placement planner).
(() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = { approach: "#d4a800", service: "#3cc850", staff: "#288ce6" };
  const CAMERA_COLORS = ["#1d232b", "#b03ab0", "#d9731a", "#2a8c8c"];
  const HIT_PX = 12;
  const svg = document.getElementById("plan");
  const counterSelect = document.getElementById("counter");
  const kindSelect = document.getElementById("kind");
  const message = document.getElementById("message");
  const pointsList = document.getElementById("points");

  let data = null;
  let counterIndex = 0;
  let kind = "service";
  let drawn = { staff: [], service: [], approach: [] };
  let selected = -1;
  let dragging = false;
  let dirty = false;
  let box = { x0: -4, y0: -2, x1: 3, y1: 3 };

  const counter = () => (data && data.counters.length ? data.counters[counterIndex] : null);
  const posed = (c) => c.cameras.filter((cam) => cam.has_pose);

  function node(tag, attrs = {}, parent = null) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (parent) parent.append(n);
    return n;
  }
  const sx = (p) => p[0];
  const sy = (p) => -p[1]; // customers' side up
  const pointsAttr = (poly) => poly.map((p) => `${sx(p)},${sy(p)}`).join(" ");

  function area(poly) {
    let s = 0;
    poly.forEach((p, i) => { const q = poly[(i + 1) % poly.length]; s += p[0] * q[1] - q[0] * p[1]; });
    return Math.abs(s) / 2;
  }

  // Start from each zone as the camera that places it most tightly has it on the floor
  // (a camera looking along the floor stretches a zone far along its line of sight).
  function startDrawn() {
    const c = counter();
    drawn = { staff: [], service: [], approach: [] };
    if (!c) return;
    for (const k of Object.keys(drawn)) {
      const polys = posed(c).map((cam) => cam.floor_zones && cam.floor_zones[k]).filter((p) => p && p.length >= 3);
      polys.sort((a, b) => area(a) - area(b));
      if (polys.length) drawn[k] = polys[0].map((p) => [p[0], p[1]]);
    }
  }

  function extent() {
    const c = counter();
    const pts = [];
    if (c) {
      for (const cam of posed(c)) pts.push(cam.pose.position_m);
      if (c.layout) {
        pts.push(...c.layout.staff_m, c.layout.service_m);
        for (const d of c.layout.distances_m) pts.push([c.layout.service_m[0] + c.layout.approach_from * d, c.layout.walkway_y_m]);
      }
    }
    for (const k of Object.keys(drawn)) pts.push(...drawn[k]);
    if (!pts.length) return { x0: -4, y0: -2, x1: 3, y1: 3 };
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const clamp = (v) => Math.max(-15, Math.min(15, v));
    return { x0: clamp(Math.min(...xs)) - 1, x1: clamp(Math.max(...xs)) + 1,
             y0: clamp(Math.min(...ys)) - 1, y1: clamp(Math.max(...ys)) + 1 };
  }

  function draw() {
    svg.replaceChildren();
    svg.setAttribute("viewBox", `${box.x0} ${-box.y1} ${box.x1 - box.x0} ${box.y1 - box.y0}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const grid = node("g", { stroke: "#e3e6ea", "stroke-width": 0.01 }, svg);
    for (let x = Math.ceil(box.x0); x <= box.x1; x++) node("line", { x1: x, x2: x, y1: -box.y1, y2: -box.y0 }, grid);
    for (let y = Math.ceil(box.y0); y <= box.y1; y++) node("line", { x1: box.x0, x2: box.x1, y1: -y, y2: -y }, grid);
    const c = counter();
    if (!c) return;
    const views = node("g", { id: "camera-views" }, svg);
    posed(c).forEach((cam, i) => {
      const color = CAMERA_COLORS[i % CAMERA_COLORS.length];
      if (cam.view_on_floor) node("polygon", { points: pointsAttr(cam.view_on_floor), fill: color, "fill-opacity": 0.05, stroke: color, "stroke-opacity": 0.3, "stroke-width": 0.01 }, views);
      for (const k of ["staff", "service", "approach"]) {
        const poly = cam.floor_zones && cam.floor_zones[k];
        if (!poly) continue;
        node("polygon", { points: pointsAttr(poly), fill: "none", stroke: COLORS[k], "stroke-width": 0.015, "stroke-dasharray": "0.06 0.04", class: `view-zone view-zone-${cam.id}-${k}` }, views);
      }
      const p = cam.pose.position_m;
      const h = cam.pose.heading_deg * Math.PI / 180;
      node("line", { x1: p[0], y1: -p[1], x2: p[0] + 0.4 * Math.cos(h), y2: -(p[1] + 0.4 * Math.sin(h)), stroke: color, "stroke-width": 0.03 }, views);
      node("circle", { cx: p[0], cy: -p[1], r: 0.09, fill: color, class: "camera-mark" }, views);
      const label = node("text", { x: p[0] + 0.12, y: -p[1] - 0.12, "font-size": 0.2, fill: color }, views);
      label.textContent = `${cam.id} (${p[2]} m)`;
    });
    if (c.layout) {
      const L = c.layout;
      const people = node("g", { "font-size": 0.16 }, svg);
      node("line", { x1: L.counter_m[0][0], y1: -L.counter_m[0][1], x2: L.counter_m[1][0], y2: -L.counter_m[1][1], stroke: "#8a6d3b", "stroke-width": 0.08 }, people);
      const spot = (p, text, color) => {
        node("circle", { cx: p[0], cy: -p[1], r: 0.1, fill: "none", stroke: color, "stroke-width": 0.025 }, people);
        const t = node("text", { x: p[0] + 0.13, y: -p[1] + 0.05, fill: color }, people);
        t.textContent = text;
      };
      L.staff_m.forEach((p) => spot(p, "staff", COLORS.staff));
      spot(L.service_m, "customer", COLORS.service);
      for (const d of L.distances_m) spot([L.service_m[0] + L.approach_from * d, L.walkway_y_m], `${d} m`, COLORS.approach);
    }
    const edit = node("g", { id: "edited" }, svg);
    for (const k of Object.keys(drawn)) {
      const poly = drawn[k];
      if (!poly.length) continue;
      const current = k === kind;
      node("polygon", { points: pointsAttr(poly), fill: COLORS[k], "fill-opacity": current ? 0.3 : 0.12, stroke: COLORS[k], "stroke-width": current ? 0.03 : 0.015, class: `drawn drawn-${k}` }, edit);
      if (current) poly.forEach((p, i) => node("circle", { cx: sx(p), cy: sy(p), r: i === selected ? 0.07 : 0.05, fill: i === selected ? "#fff" : COLORS[k], stroke: "#000", "stroke-width": 0.015 }, edit));
    }
    pointsList.replaceChildren(...drawn[kind].map((p, i) =>
      fd.el("li", { class: i === selected ? "selected" : "", text: `${p[0].toFixed(2)}, ${p[1].toFixed(2)} m` })));
  }

  // Screen <-> plan metres through the SVG's own transform.
  function toPlan(event) {
    const pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    return [Math.round(p.x * 100) / 100, Math.round(-p.y * 100) / 100];
  }
  function toScreen(p) {
    const pt = svg.createSVGPoint();
    pt.x = sx(p); pt.y = sy(p);
    const s = pt.matrixTransform(svg.getScreenCTM());
    return [s.x, s.y];
  }
  function hit(event) {
    let best = -1, bestD = HIT_PX;
    drawn[kind].forEach((p, i) => {
      const [x, y] = toScreen(p);
      const d = Math.hypot(x - event.clientX, y - event.clientY);
      if (d < bestD) { best = i; bestD = d; }
    });
    return best;
  }
  function insert(point) {
    return fd.insertVertex(drawn[kind], point);
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !counter()) return;
    const i = hit(event);
    if (i >= 0) selected = i;
    else { selected = insert(toPlan(event)); dirty = true; }
    dragging = true;
    svg.setPointerCapture(event.pointerId);
    draw();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!dragging || selected < 0) return;
    drawn[kind][selected] = toPlan(event);
    dirty = true;
    draw();
  });
  svg.addEventListener("pointerup", () => { dragging = false; });
  svg.addEventListener("dblclick", (event) => {
    const i = hit(event);
    if (i >= 0) { drawn[kind].splice(i, 1); selected = -1; dirty = true; draw(); }
  });

  function viewFigure(cam, i) {
    const color = CAMERA_COLORS[i % CAMERA_COLORS.length];
    const [w, h] = cam.size;
    const frame = fd.el("div", { class: "frame-box" + (cam.current ? "" : " blank") });
    frame.style.aspectRatio = `${w} / ${h}`;
    if (cam.current) {
      const img = fd.el("img", { alt: `camera ${cam.id}: live frame`, src: `/api/frame.jpg?overlays=false&t=${Date.now()}` });
      img.addEventListener("error", () => { img.hidden = true; });
      frame.append(img);
    }
    const over = node("svg", { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none", class: "view-svg" });
    for (const k of ["staff", "service", "approach"]) {
      const poly = cam.zones[k];
      if (!poly) continue;
      node("polygon", { points: poly.map((p) => `${p[0] * w},${p[1] * h}`).join(" "), fill: COLORS[k], "fill-opacity": 0.2, stroke: COLORS[k], "stroke-width": 3, class: `zone zone-${k}` }, over);
    }
    for (const s of cam.spots || []) {
      node("circle", { cx: s.at[0] * w, cy: s.at[1] * h, r: 8, fill: "#fff", stroke: "#000", "stroke-width": 2 }, over);
      const t = node("text", { x: s.at[0] * w + 10, y: s.at[1] * h - 10, "font-size": 24, fill: "#fff", stroke: "#000", "stroke-width": 0.6 }, over);
      t.textContent = s.label;
    }
    frame.append(over);
    const caption = cam.has_pose ? `${cam.id}${cam.current ? " (this camera)" : ""}: at (${cam.pose.position_m.join(", ")}) m, heading ${cam.pose.heading_deg} degrees`
      : `${cam.id}: no pose over the floor yet`;
    const fig = fd.el("figure", { class: "camera-view", "data-camera": cam.id }, frame, fd.el("figcaption", { text: caption }));
    fig.style.borderTop = `4px solid ${color}`;
    return fig;
  }

  function plannerTable(c) {
    const status = document.getElementById("plan-status");
    const summary = document.getElementById("plan-summary");
    const table = document.getElementById("plan-table");
    const head = table.querySelector("thead"), body = table.querySelector("tbody");
    head.replaceChildren(); body.replaceChildren(); summary.replaceChildren();
    if (!c || !c.plan) { status.textContent = c ? c.plan_error : "no counter"; return; }
    const p = c.plan;
    const ids = p.cameras.map((cam) => cam.id);
    status.textContent = `${p.measured.length} of ${p.moments.length} moments measured (a face within ${p.max_yaw_deg} degrees of a camera, ${p.min_face_px} px or wider)`;
    summary.replaceChildren(...p.summary.map((line) => fd.el("li", { text: line })));
    head.append(fd.el("tr", {}, fd.el("th", { text: "moment" }), fd.el("th", { text: "face" }),
      ...ids.map((id) => fd.el("th", { text: id })), fd.el("th", { text: "measured" })));
    for (const m of p.moments) {
      m.needs.forEach((who, k) => {
        const cells = ids.map((id) => {
          const v = m.views.find((x) => x.camera === id && x.who === who);
          return fd.el("td", { class: v.seen ? "seen" : "missed", title: v.why_not,
            text: `${v.seen ? "seen" : "no"} ${Math.round(v.yaw_deg)}°, ${Math.round(v.face_px)} px` });
        });
        body.append(fd.el("tr", { "data-moment": m.moment },
          fd.el("td", { text: k === 0 ? m.moment : "" }), fd.el("td", { text: who }), ...cells,
          fd.el("td", { class: m.measured ? "seen" : "missed", text: k === 0 ? (m.measured ? "yes" : "no") : "" })));
      });
    }
  }

  function render() {
    box = extent();
    draw();
    const c = counter();
    document.getElementById("views").replaceChildren(...(c ? c.cameras.map(viewFigure) : []));
    plannerTable(c);
  }

  async function load(keepDrawn = false) {
    data = await fd.api("/api/plan");
    document.getElementById("head-height").textContent = data.head_height_m.toFixed(2);
    document.getElementById("head-band").textContent = `${data.head_band_m[0]} to ${data.head_band_m[1]}`;
    counterSelect.replaceChildren(...data.counters.map((c, i) =>
      fd.el("option", { value: String(i), text: c.name === c.id ? c.id : `${c.name} (${c.id})` })));
    counterSelect.value = String(counterIndex);
    if (!keepDrawn) startDrawn();
    if (!data.can_save) fd.show(message, "frontdesk was started without a config file: zones cannot be saved here.", "warn");
    const c = counter();
    if (c && !posed(c).length) fd.show(message, c.plan_error, "warn");
    render();
  }

  counterSelect.addEventListener("change", () => { counterIndex = Number(counterSelect.value); selected = -1; startDrawn(); render(); });
  kindSelect.addEventListener("change", () => { kind = kindSelect.value; selected = -1; draw(); });
  document.getElementById("clear").addEventListener("click", () => { drawn[kind] = []; selected = -1; dirty = true; draw(); });
  document.getElementById("reload").addEventListener("click", () => { dirty = false; load(); });
  document.getElementById("save").addEventListener("click", async () => {
    const c = counter();
    if (!c) return;
    fd.show(message, "Saving...", "");
    try {
      const r = await fd.api("/api/plan/zones", { method: "PUT", body: {
        counter: c.id, service: drawn.service, staff: drawn.staff,
        approach: drawn.approach.length ? drawn.approach : null } });
      data.counters[counterIndex] = r.counter;
      dirty = false;
      render();
      fd.show(message, [r.message, ...r.notes].join(". "), "good");
    } catch (e) {
      fd.show(message, "Not saved: " + e.message, "error");
    }
  });
  document.getElementById("recommend").addEventListener("click", async () => {
    const out = document.getElementById("recommendation");
    const c = counter();
    if (!c) return;
    fd.show(out, "Searching camera positions 1.9 to 2.3 m up (a few seconds)...", "");
    try {
      const r = await fd.api(`/api/plan/recommend?counter=${encodeURIComponent(c.id)}`);
      const cam = r.camera;
      fd.show(out, `Put a camera at (${cam.position_m.join(", ")}) m, heading ${cam.heading_deg} degrees, tilted ${cam.tilt_down_deg} degrees down: ${r.plan.summary[0]}`, "good");
    } catch (e) { fd.show(out, e.message, "error"); }
  });
  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });

  // For tests and the curious: the page's state and its plan-to-screen mapping.
  window.frontdeskPlan = { get data() { return data; }, get drawn() { return drawn; }, toScreen };
  load().catch((e) => fd.show(message, e.message, "error"));
})();
