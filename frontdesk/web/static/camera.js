"use strict";
// Camera page: the camera model in use, the field of view, checkerboard calibration,
// the camera's pose over the floor.
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
    fact(dl, "pose over the floor", c.pose
      ? `at (${c.pose.position_m.join(", ")}) m, heading ${c.pose.heading_deg}°, tilt down ${c.pose.tilt_down_deg}°, roll ${c.pose.roll_deg}°`
      : "not set");
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

  const poseMessage = document.getElementById("pose-message");
  const num = (id) => Number(document.getElementById(id).value);

  async function pose(body) {
    try {
      const r = await fd.api("/api/camera/pose", { method: "POST", body: { ...body, save: true } });
      fd.show(poseMessage, `${r.summary}. Saved; restart frontdesk to use it.`, r.good ? "good" : "warn");
      await load();
    } catch (e) { fd.show(poseMessage, e.message, "error"); }
  }

  function parsePoints(text) {
    return text.split("\n").map((line) => line.trim()).filter((line) => line).map((line) => {
      const [pixel, world] = line.split("=");
      const uv = (pixel || "").split(",").map(Number);
      const xyz = (world || "").split(",").map(Number);
      if (xyz.length === 2) xyz.push(0);
      if (uv.length !== 2 || xyz.length !== 3 || [...uv, ...xyz].some((v) => !Number.isFinite(v))) {
        throw new Error(`not U,V=X,Y[,Z]: ${line}`);
      }
      return { pixel: uv, world_m: xyz };
    });
  }

  // Floor points clicked on the frame: each click adds "U,V=" (in the frame's own
  // pixels, whatever size it is shown at) for the installer to complete.
  const poseFrame = document.getElementById("pose-frame");
  const posePoints = document.getElementById("pose-points");
  document.getElementById("pose-frame-load").addEventListener("click", async () => {
    try {
      const response = await fetch(`/api/frame.jpg?overlays=false&t=${Date.now()}`,
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) throw new Error("no frame from the camera yet");
      const url = URL.createObjectURL(await response.blob());
      poseFrame.onload = () => {
        poseFrame.hidden = false;
        document.getElementById("pose-frame-box").hidden = false;
        URL.revokeObjectURL(url);
      };
      poseFrame.src = url;
    } catch (e) { fd.show(poseMessage, e.message, "error"); }
  });
  poseFrame.addEventListener("click", (event) => {
    const box = poseFrame.getBoundingClientRect();
    const u = Math.round((event.clientX - box.left) * poseFrame.naturalWidth / box.width);
    const v = Math.round((event.clientY - box.top) * poseFrame.naturalHeight / box.height);
    const text = posePoints.value.replace(/\s+$/, "");
    posePoints.value = `${text ? text + "\n" : ""}${u},${v}=`;
    posePoints.focus();
  });

  document.getElementById("pose-board").addEventListener("click", () => pose({
    squares: document.getElementById("squares").value, square_mm: num("square-mm"),
    marker_mm: num("marker-mm"), board_at_m: [num("board-x"), num("board-y"), num("board-z")],
    board_heading_deg: num("board-heading") }));
  document.getElementById("pose-points-save").addEventListener("click", () => {
    let points;
    try { points = parsePoints(document.getElementById("pose-points").value); }
    catch (e) { fd.show(poseMessage, e.message, "error"); return; }
    pose({ points });
  });

  load();
})();
