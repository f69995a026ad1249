"use strict";
// Dashboard: every counter's live state (server-sent events), its buttons, today's figures,
// the reports. A card is grey ("unknown") whenever its state cannot be trusted: the camera
// is starting, offline or ended, the last frame is old, or frontdesk stopped answering.
(() => {
  const box = document.getElementById("counters");
  const connection = document.getElementById("connection");
  const soundBox = document.getElementById("sound");
  const SILENT_MS = 6000;  // the server sends at least every 2 s
  const SNOOZE_S = 600;
  const cards = new Map();
  let names = {};
  let lastMessage = 0;
  let lastState = null;
  let lost = null;  // why the connection cannot be trusted, or null
  let lastArrived = "";
  let todayTimer = null;

  function unknownReason(state, c) {
    if (lost) return lost;
    const h = state.health;
    if (h.preparing) return `Starting: ${h.preparing}`;
    if (h.camera === "starting") return "Starting: no frame from the camera yet";
    if (h.camera === "offline") return "Camera offline";
    if (h.camera === "ended") return "The video has ended";
    if (h.camera !== "online") return `Camera ${h.camera}`;
    if (h.last_frame_age_s === null || c.t === undefined) return "Starting: no frame from the camera yet";
    if (h.last_frame_age_s > state.stale_after_s) return `No frame for ${Math.round(h.last_frame_age_s)} s`;
    return null;
  }

  function status(state, c) {
    const unknown = unknownReason(state, c);
    if (unknown) return ["unknown", unknown];
    if (c.enabled === false) return ["disabled", "Alerts off"];
    if (c.escalated) return ["escalated", "Escalated: customer waiting unacknowledged"];
    if (c.alert) return ["alert", "Customer waiting unacknowledged"];
    if (c.unattended) return ["alert", "Unattended"];
    if (c.customers_waiting) return ["waiting", `${c.customers_waiting} waiting`];
    if (c.snoozed_s) return ["ok", "OK (alerts snoozed)"];
    return ["ok", "OK"];
  }

  async function send(article, path, body, text) {
    const message = article.querySelector(".message");
    try {
      const r = await fd.api(path, { method: "POST", body });
      fd.show(message, r.message || text, "good");
    } catch (e) {
      fd.show(message, e.message, "error");
    }
  }

  function makeCard(c) {
    const id = c.counter_id;
    const base = "/api/counters/" + encodeURIComponent(id);
    const article = fd.el("article", { class: "counter unknown", "data-counter": id });
    const ack = fd.el("button", { class: "primary ack", type: "button", text: "Acknowledge" });
    const snooze = fd.el("button", { class: "snooze", type: "button", text: "Snooze 10 min" });
    const enable = fd.el("button", { class: "enable", type: "button", text: "Turn alerts off" });
    ack.addEventListener("click", () => send(article, base + "/acknowledge", {}, "acknowledged"));
    snooze.addEventListener("click", () => send(article, base + "/snooze",
      { seconds: article.dataset.snoozed === "true" ? 0 : SNOOZE_S }, "snoozed"));
    enable.addEventListener("click", () => send(article, base + "/enabled",
      { enabled: article.dataset.enabled !== "true" }, "changed"));
    article.append(fd.el("h2", { class: "name" }), fd.el("p", { class: "badge" }),
      fd.el("dl", { class: "facts" }), fd.el("ul", { class: "customers" }),
      fd.el("div", { class: "buttons" }, ack, snooze, enable),
      fd.el("p", { class: "message", hidden: "" }));
    cards.set(id, article);
    return article;
  }

  function customerText(w, i) {
    const who = `Customer ${i + 1}`;
    if (w.acknowledged) return `${who} acknowledged`;
    return w.arrived ? `${who} waiting ${fd.seconds(w.waited_s)}` : `${who} approaching`;
  }

  function update(article, state, c) {
    const [kind, label] = status(state, c);
    const known = kind !== "unknown";
    const alerting = known && (kind === "alert" || kind === "escalated");
    article.className = "counter " + kind;
    article.dataset.state = kind;
    article.dataset.alert = String(alerting);
    article.dataset.enabled = String(c.enabled !== false);
    article.dataset.snoozed = String(Boolean(c.snoozed_s));
    article.querySelector(".name").textContent = c.name;
    article.querySelector(".badge").textContent = label;
    const facts = article.querySelector(".facts");
    facts.replaceChildren();
    const add = (t, v) => facts.append(fd.el("dt", { text: t }), fd.el("dd", { text: v }));
    if (known) {
      add("staff", c.staff_present ? "present" : "not seen");
      add("longest wait", c.customers_waiting ? fd.seconds(c.longest_wait_s) : "-");
      add("last acknowledged after", c.last_ack_latency_s === null || c.last_ack_latency_s === undefined ? "-" : fd.seconds(c.last_ack_latency_s));
      if (c.snoozed_s) add("snoozed", `${Math.ceil(c.snoozed_s / 60)} min left`);
    }
    const list = article.querySelector(".customers");
    const customers = known ? (c.customers || []) : [];
    list.replaceChildren(...customers.map((w, i) => fd.el("li", { class: w.alert ? "alert" : "", text: customerText(w, i) })));
    if (known && !customers.length) list.append(fd.el("li", { class: "muted", text: "no customers" }));
    const [ack, snooze, enable] = article.querySelectorAll(".buttons button");
    ack.disabled = !known || !c.customers_waiting;
    snooze.disabled = !known || c.enabled === false;
    enable.disabled = !known;
    snooze.textContent = c.snoozed_s ? "End snooze" : "Snooze 10 min";
    enable.textContent = c.enabled === false ? "Turn alerts on" : "Turn alerts off";
    return alerting;
  }

  // ------------------------------------------------------------------ sound (optional)
  let audio = null;
  let lastBeep = 0;
  const wasAlerting = new Set();

  function beep() {
    if (!soundBox || !soundBox.checked) return;
    try {
      audio = audio || new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
    } catch (e) { return; }
    lastBeep = Date.now();
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  }

  if (soundBox) {
    soundBox.checked = localStorage.getItem("frontdesk.sound") === "on";
    soundBox.addEventListener("change", () => {
      localStorage.setItem("frontdesk.sound", soundBox.checked ? "on" : "off");
      if (soundBox.checked) audio = audio || new AudioContext();  // allowed: a user gesture
    });
  }

  // ------------------------------------------------------------------ rendering

  function render(state) {
    lastState = state;
    names = Object.fromEntries(state.counters.map((c) => [c.counter_id, c.name]));
    let newAlert = false;
    let anyAlert = false;
    for (const c of state.counters) {
      const article = cards.get(c.counter_id) || box.appendChild(makeCard(c));
      const alerting = update(article, state, c);
      anyAlert = anyAlert || alerting;
      if (alerting && !wasAlerting.has(c.counter_id)) newAlert = true;
      if (alerting) wasAlerting.add(c.counter_id); else wasAlerting.delete(c.counter_id);
    }
    if (newAlert || (anyAlert && Date.now() - lastBeep > 10000)) beep();
    // A customer arrived or left: today's figures change, ask for them (not more than
    // once a second), so the table never lags the cards by half a minute.
    const arrived = state.counters.map((c) => (c.customers || []).filter((w) => w.arrived)
      .map((w) => w.visit_id).join(",")).join(";");
    if (arrived !== lastArrived) {
      lastArrived = arrived;
      if (!todayTimer) todayTimer = setTimeout(() => { todayTimer = null; today(); }, 1000);
    }
    fd.showHealth(lost ? null : state.health);
    if (lost) {
      connection.textContent = lost;
      connection.className = "bad";
    } else {
      connection.textContent = "live";
      connection.className = "muted";
    }
  }

  function connect() {
    const source = new EventSource("/api/events");
    source.addEventListener("state", (event) => {
      lastMessage = Date.now();
      lost = null;
      render(JSON.parse(event.data));
    });
    source.onerror = () => {
      lost = "No connection to frontdesk: reconnecting...";
      if (lastState) render(lastState);
      else { connection.textContent = lost; connection.className = "bad"; }
    };
  }

  setInterval(() => {
    const silent = Date.now() - lastMessage;
    if (lastState && silent > SILENT_MS) {
      lost = `No news from frontdesk for ${Math.round(silent / 1000)} s`;
      render(lastState);
    }
  }, 1000);

  function pct(v) { return v === null || v === undefined ? "-" : Math.round(100 * v) + " %"; }

  async function today() {
    try {
      const t = await fd.api("/api/today");
      const all = { ...names, ...(t.names || {}) };
      document.getElementById("today-source").textContent =
        t.source === "store" ? `(${t.day}, from the visit history)` : `(${t.day || "today"}, ${t.note})`;
      const body = document.querySelector("#today tbody");
      body.replaceChildren(...Object.entries(t.counters).map(([id, f]) => fd.el("tr", {},
        fd.el("td", { text: all[id] || id }), fd.el("td", { text: String(f.visits) }),
        fd.el("td", { text: String(f.acknowledged) }), fd.el("td", { text: fd.seconds(f.latency_p50_s) }),
        fd.el("td", { text: pct(f.within_target_share) }), fd.el("td", { text: String(f.alerts) }),
        fd.el("td", { text: String(f.left_unacknowledged) }))));
    } catch (e) { /* the health line says why */ }
  }

  async function reports() {
    try {
      const r = await fd.api("/api/reports");
      const list = document.getElementById("reports");
      if (!r.reports.length) {
        list.replaceChildren(fd.el("li", { class: "muted", text: `no reports yet in ${r.folder} (frontdesk report --out ${r.folder}/)` }));
        return;
      }
      list.replaceChildren(...r.reports.map((x) => fd.el("li", {},
        fd.el("a", { href: "/reports/" + encodeURIComponent(x.name), text: x.name }))));
    } catch (e) { /* the health line says why */ }
  }

  connect();
  today();
  reports();
  setInterval(today, 30000);
  setInterval(reports, 60000);
})();
