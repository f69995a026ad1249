"use strict";
// Zone editor: draw, move and delete the vertices of each counter's zones on the live frame.
// Coordinates are normalised (0 to 1 of the frame), as in the config file.
(() => {
  const COLORS = { approach: "#ffd700", service: "#3cc850", staff: "#288ce6", ignore: "#969696" };
  const HIT_PX = 12;
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const background = document.getElementById("background");
  const counterSelect = document.getElementById("counter");
  const kindSelect = document.getElementById("kind");
  const message = document.getElementById("message");
  const pointsList = document.getElementById("points");
  const deleteButton = document.getElementById("delete-point");

  let counters = [];
  let counterIndex = 0;
  let kind = "service";
  let selected = -1;
  let dragging = false;
  let dirty = false;

  function zonesOf(counter) { return counter.zones; }

  function polygon(create = false) {
    if (!counters.length) return null;
    const zones = zonesOf(counters[counterIndex]);
    if (kind.startsWith("ignore:")) {
      const i = Number(kind.split(":")[1]);
      return zones.ignore[i];
    }
    if (zones[kind] === null || zones[kind] === undefined) {
      if (!create) return null;
      zones[kind] = [];
    }
    return zones[kind];
  }

  function allPolygons(counter) {
    const z = counter.zones;
    const out = [["staff", z.staff], ["service", z.service]];
    if (z.approach) out.push(["approach", z.approach]);
    z.ignore.forEach((p, i) => out.push(["ignore:" + i, p]));
    return out;
  }

  function fillKinds() {
    const zones = zonesOf(counters[counterIndex]);
    const options = [["service", "service (customer at the counter)"],
      ["staff", "staff (behind the counter)"],
      ["approach", zones.approach ? "approach" : "approach (none yet: click to draw)"]];
    zones.ignore.forEach((_, i) => options.push(["ignore:" + i, "ignore mask " + (i + 1)]));
    kindSelect.replaceChildren(...options.map(([value, label]) => fd.el("option", { value, text: label })));
    if (!options.some(([v]) => v === kind)) kind = "service";
    kindSelect.value = kind;
  }

  function fillCounters() {
    counterSelect.replaceChildren(...counters.map((c, i) =>
      fd.el("option", { value: String(i), text: c.name === c.id ? c.id : `${c.name} (${c.id})` })));
    counterSelect.value = String(counterIndex);
    fillKinds();
  }

  function toPx(p) { return [p[0] * canvas.width, p[1] * canvas.height]; }

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const scale = canvas.width / Math.max(canvas.clientWidth, 1);
    counters.forEach((counter, ci) => {
      for (const [k, poly] of allPolygons(counter)) {
        if (!poly || poly.length === 0) continue;
        const isCurrent = ci === counterIndex && k === kind;
        const color = COLORS[k.split(":")[0]];
        ctx.beginPath();
        poly.forEach((p, i) => { const [x, y] = toPx(p); if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y); });
        ctx.closePath();
        ctx.globalAlpha = isCurrent ? 0.30 : 0.12;
        ctx.fillStyle = color;
        if (poly.length >= 3) ctx.fill();
        ctx.globalAlpha = isCurrent ? 1 : 0.6;
        ctx.lineWidth = (isCurrent ? 3 : 1.5) * scale;
        ctx.strokeStyle = color;
        ctx.stroke();
        ctx.globalAlpha = 1;
        if (isCurrent) {
          poly.forEach((p, i) => {
            const [x, y] = toPx(p);
            ctx.beginPath();
            ctx.arc(x, y, (i === selected ? 8 : 6) * scale, 0, 2 * Math.PI);
            ctx.fillStyle = i === selected ? "#ffffff" : color;
            ctx.fill();
            ctx.lineWidth = 2 * scale;
            ctx.strokeStyle = "#000000";
            ctx.stroke();
          });
        }
        const [lx, ly] = toPx(poly[0]);
        ctx.font = `${14 * scale}px sans-serif`;
        ctx.fillStyle = color;
        ctx.fillText(`${counter.id} ${k.replace(":", " ")}`, lx + 6 * scale, ly + 18 * scale);
      }
    });
    const poly = polygon();
    pointsList.replaceChildren(...(poly || []).map((p, i) =>
      fd.el("li", { class: i === selected ? "selected" : "", text: `${p[0].toFixed(4)}, ${p[1].toFixed(4)}` })));
    deleteButton.disabled = selected < 0;
  }

  function eventPoint(event) {
    const rect = canvas.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    const y = Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height));
    return [x, y];
  }

  function hit(point) {
    const poly = polygon();
    if (!poly) return -1;
    const rect = canvas.getBoundingClientRect();
    let best = -1, bestD = HIT_PX;
    poly.forEach((p, i) => {
      const d = Math.hypot((p[0] - point[0]) * rect.width, (p[1] - point[1]) * rect.height);
      if (d < bestD) { best = i; bestD = d; }
    });
    return best;
  }

  function insert(point) {
    return fd.insertVertex(polygon(true), point);
  }

  function removeSelected() {
    const poly = polygon();
    if (!poly || selected < 0) return;
    poly.splice(selected, 1);
    selected = -1;
    dirty = true;
    draw();
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !counters.length) return;
    const point = eventPoint(event);
    const i = hit(point);
    if (i >= 0) selected = i;
    else { selected = insert(point); dirty = true; }
    dragging = true;
    canvas.setPointerCapture(event.pointerId);
    canvas.focus();
    draw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!dragging || selected < 0 || !polygon()) return;
    const poly = polygon();
    poly[selected] = eventPoint(event);
    dirty = true;
    draw();
  });
  canvas.addEventListener("pointerup", () => { dragging = false; });
  canvas.addEventListener("dblclick", (event) => {
    const i = hit(eventPoint(event));
    if (i >= 0) { selected = i; removeSelected(); }
  });
  canvas.addEventListener("keydown", (event) => {
    if (event.key === "Delete" || event.key === "Backspace") { event.preventDefault(); removeSelected(); }
  });
  deleteButton.addEventListener("click", removeSelected);

  counterSelect.addEventListener("change", () => { counterIndex = Number(counterSelect.value); selected = -1; fillKinds(); draw(); });
  kindSelect.addEventListener("change", () => { kind = kindSelect.value; selected = -1; draw(); });

  document.getElementById("clear").addEventListener("click", () => {
    const poly = polygon(true);
    poly.splice(0, poly.length);
    selected = -1; dirty = true; draw();
  });
  document.getElementById("add-ignore").addEventListener("click", () => {
    const zones = zonesOf(counters[counterIndex]);
    zones.ignore.push([]);
    kind = "ignore:" + (zones.ignore.length - 1);
    selected = -1; fillKinds(); draw();
  });
  document.getElementById("remove-zone").addEventListener("click", () => {
    const zones = zonesOf(counters[counterIndex]);
    if (kind === "approach") zones.approach = null;
    else if (kind.startsWith("ignore:")) zones.ignore.splice(Number(kind.split(":")[1]), 1);
    else { fd.show(message, "The service and staff zones are required: redraw them instead.", "error"); return; }
    kind = "service"; selected = -1; dirty = true; fillKinds(); draw();
  });

  function payload() {
    return {
      counters: counters.map((c) => ({
        id: c.id,
        zones: {
          approach: c.zones.approach && c.zones.approach.length ? c.zones.approach : null,
          service: c.zones.service,
          staff: c.zones.staff,
          ignore: c.zones.ignore.filter((p) => p.length > 0),
        },
      })),
    };
  }

  document.getElementById("save").addEventListener("click", async () => {
    fd.show(message, "Saving...", "");
    try {
      const result = await fd.api("/api/zones", { method: "PUT", body: payload() });
      counters = result.counters;
      dirty = false;
      fillCounters();
      draw();
      fd.show(message, result.message, "good");
    } catch (e) {
      fd.show(message, "Not saved: " + e.message, "error");
    }
  });

  function fitCanvas(width, height) {
    canvas.width = width;
    canvas.height = height;
    draw();
  }

  async function refreshFrame() {
    try {
      const response = await fetch(`/api/frame.jpg?overlays=false&t=${Date.now()}`, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error("no frame");
      const url = URL.createObjectURL(await response.blob());
      background.onload = () => {
        background.hidden = false;
        fitCanvas(background.naturalWidth, background.naturalHeight);
        URL.revokeObjectURL(url);
      };
      background.src = url;
    } catch (e) {
      fd.show(message, "No frame from the camera: the zones are drawn on a blank frame.", "warn");
      fitCanvas(1280, 720);
    }
  }
  document.getElementById("refresh").addEventListener("click", refreshFrame);

  window.addEventListener("beforeunload", (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } });

  async function load() {
    const data = await fd.api("/api/zones");
    counters = data.counters;
    fillCounters();
    if (!data.can_save) fd.show(message, "frontdesk was started without a config file: zones cannot be saved here.", "warn");
    draw();
  }

  // For tests and the curious: the editor's state.
  window.frontdeskZones = { get counters() { return counters; } };
  fitCanvas(1280, 720);
  load().then(refreshFrame);
})();
