"use strict";
// Camera page: the camera model in use, the field of view, checkerboard calibration.
(() => {
  const message = document.getElementById("message");
  const fov = document.getElementById("fov");

  function fact(dl, term, value) { dl.append(fd.el("dt", { text: term }), fd.el("dd", { text: value })); }

  async function load() {
    const c = await fd.api("/api/camera");
    const dl = document.getElementById("current");
    dl.replaceChildren();
    fact(dl, "source of the model", c.matrix ? `calibrated matrix (at ${c.calibrated_size ? c.calibrated_size.join("x") : "?"})` : "field of view");
    fact(dl, "configured field of view", `${c.horizontal_fov_deg}°`);
    if (c.effective) {
      const e = c.effective;
      fact(dl, "frames", `${e.width}x${e.height}`);
      fact(dl, "focal length", `fx ${e.fx} px, fy ${e.fy} px`);
      fact(dl, "principal point", `${e.cx}, ${e.cy}`);
      fact(dl, "effective field of view", `${e.horizontal_fov_deg}°`);
    } else {
      fact(dl, "frames", "none yet");
    }
    if (c.distortion) fact(dl, "distortion", c.distortion.map((v) => v.toFixed(4)).join(", "));
    fov.value = c.horizontal_fov_deg;
    document.getElementById("boards").textContent = `${c.boards} board(s) captured`;
    const restart = document.getElementById("restart");
    restart.hidden = !c.restart_needed;
    restart.textContent = c.restart_needed || "";
  }

  async function act(promise) {
    try { const r = await promise; fd.show(message, r.message || r.summary || "done", "good"); await load(); return r; }
    catch (e) { fd.show(message, e.message, "error"); return null; }
  }

  document.getElementById("save-fov").addEventListener("click", () =>
    act(fd.api("/api/camera", { method: "PUT", body: { horizontal_fov_deg: Number(fov.value) } })));
  document.getElementById("clear-calibration").addEventListener("click", () =>
    act(fd.api("/api/camera", { method: "PUT", body: { clear_calibration: true } })));
  document.getElementById("capture").addEventListener("click", async () => {
    const board = encodeURIComponent(document.getElementById("board").value);
    try {
      const r = await fd.api(`/api/camera/board?board=${board}`, { method: "POST" });
      fd.show(message, `Board found (${r.boards} captured). Move it and capture again.`, "good");
    } catch (e) { fd.show(message, e.message, "error"); }
    load();
  });
  document.getElementById("forget").addEventListener("click", () => act(fd.api("/api/camera/board", { method: "DELETE" })));
  document.getElementById("calibrate").addEventListener("click", () =>
    act(fd.api("/api/camera/calibrate", { method: "POST", body: {
      board: document.getElementById("board").value,
      square_mm: Number(document.getElementById("square").value), save: true } })));

  load();
})();
