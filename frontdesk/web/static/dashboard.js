"use strict";
// Dashboard: every counter's live state (server-sent events), today's figures, the reports.
(() => {
  const box = document.getElementById("counters");
  const connection = document.getElementById("connection");

  function status(c) {
    if (c.enabled === false) return ["disabled", "disabled"];
    if (c.escalated) return ["escalated", "Escalated: customer waiting unacknowledged"];
    if (c.alert) return ["alert", "Customer waiting unacknowledged"];
    if (c.unattended) return ["alert", "Unattended"];
    if (c.customers_waiting) return ["waiting", `${c.customers_waiting} waiting`];
    return ["ok", "OK"];
  }

  function card(c) {
    const [kind, label] = status(c);
    const alerting = kind === "alert" || kind === "escalated";
    const article = fd.el("article", { class: "counter " + kind, "data-counter": c.counter_id, "data-alert": String(alerting) });
    article.append(fd.el("h2", { text: c.name }), fd.el("p", { class: "badge", text: label }));
    const facts = fd.el("dl", { class: "facts" });
    const add = (t, v) => facts.append(fd.el("dt", { text: t }), fd.el("dd", { text: v }));
    add("staff", c.staff_present ? "present" : "not seen");
    add("longest wait", c.customers_waiting ? fd.seconds(c.longest_wait_s) : "-");
    add("last acknowledgement", c.last_ack_latency_s === null || c.last_ack_latency_s === undefined ? "-" : fd.seconds(c.last_ack_latency_s));
    if (c.snoozed_until_t) add("snoozed", "yes");
    article.append(facts);
    const list = fd.el("ul", { class: "customers" });
    for (const w of c.customers || []) {
      const text = w.acknowledged ? `#${w.track_id} acknowledged` :
        (w.arrived ? `#${w.track_id} waiting ${fd.seconds(w.waited_s)}` : `#${w.track_id} approaching`);
      list.append(fd.el("li", { class: w.alert ? "alert" : "", "data-track": String(w.track_id), text }));
    }
    if (!(c.customers || []).length) list.append(fd.el("li", { class: "muted", text: "no customers" }));
    article.append(list);
    return article;
  }

  function render(state) {
    box.replaceChildren(...state.counters.map(card));
    const h = state.health;
    connection.textContent = `live: camera ${h.camera}, ${h.fps.toFixed(1)} fps`;
    connection.className = h.camera === "online" ? "muted" : "bad";
  }

  function connect() {
    const source = new EventSource("/api/events");
    source.addEventListener("state", (event) => render(JSON.parse(event.data)));
    source.onerror = () => { connection.textContent = "connection lost: reconnecting..."; connection.className = "bad"; };
  }

  function pct(v) { return v === null || v === undefined ? "-" : Math.round(100 * v) + " %"; }

  async function today() {
    try {
      const t = await fd.api("/api/today");
      document.getElementById("today-source").textContent =
        t.source === "store" ? `(${t.day}, from the visit history)` : `(${t.day || "today"}, ${t.note})`;
      const body = document.querySelector("#today tbody");
      body.replaceChildren(...Object.entries(t.counters).map(([id, f]) => fd.el("tr", {},
        fd.el("td", { text: id }), fd.el("td", { text: String(f.visits) }),
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
