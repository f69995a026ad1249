"""The web UI's HTTP application (FastAPI on Starlette, served by uvicorn).

Pages (HTML + vanilla JS from ``frontdesk/web/static``, no build step, no CDN):
``/live`` (frame with overlays, placement check), ``/zones`` (zone editor),
``/camera`` (field of view and checkerboard calibration), ``/dashboard``.
The API is listed in docs/web.md. Every route but ``/healthz``, ``/login`` and
``/static`` needs a login when a password or token is configured.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.config import Config, polygon_problem
from frontdesk.errors import FrontdeskError
from frontdesk.web.auth import (
    AuthSettings,
    LoginLimiter,
    SecretGate,
    SessionSigner,
    is_loopback,
)
from frontdesk.web.cameras import CameraPeer, url_for_host
from frontdesk.web.config_file import ConfigFile, set_camera_keys, set_counter_zones
from frontdesk.web.hub import LiveHub
from frontdesk.web.page_routes import add_command_routes, add_legend_route
from frontdesk.web.plan_routes import add_plan_routes
from frontdesk.web.saving import error as _error
from frontdesk.web.saving import save_zones, update_config
from frontdesk.web.today import TodayFigures, list_reports, report_path, reports_dir

if TYPE_CHECKING:
    import numpy as np

    from frontdesk.config import CameraConfig
    from frontdesk.pose_calibration import PoseResult

__all__ = ["create_app", "WebContext", "MAX_BODY_BYTES", "SESSION_COOKIE"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
MAX_BODY_BYTES = 64 * 1024
SESSION_COOKIE = "frontdesk_session"
MAX_POINTS = 64
MAX_IGNORE = 16
PAGES = {"live": ("live view", "Live view"), "zones": ("zones", "Zones"),
         "plan": ("floor plan", "Floor plan"), "camera": ("camera", "Camera"),
         "dashboard": ("dashboard", "Dashboard")}
"""The pages behind the login, in the order of the nav bar: name (its path, its
template ``templates/NAME.html`` holding its ``<main>``, its ``static/NAME.js``) ->
(title, nav label). ``templates/layout.html`` gives them all the same head and nav."""
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


# --------------------------------------------------------------------------- request bodies


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Polygon = list[tuple[float, float]]


class ZonesIn(_Body):
    approach: Polygon | None = Field(None, max_length=MAX_POINTS)
    service: Polygon = Field(..., max_length=MAX_POINTS)
    staff: Polygon = Field(..., max_length=MAX_POINTS)
    ignore: list[Polygon] = Field(default_factory=list, max_length=MAX_IGNORE)


class CounterZonesIn(_Body):
    id: str = Field(..., min_length=1, max_length=64)
    zones: ZonesIn


class ZonesUpdate(_Body):
    counters: list[CounterZonesIn] = Field(..., min_length=1, max_length=32)


class CameraUpdate(_Body):
    horizontal_fov_deg: float | None = Field(None, gt=10, lt=180)
    clear_calibration: bool = False


class CalibrateIn(_Body):
    board: str = Field("9x6", max_length=16)
    square_mm: float = Field(25.0, gt=0, le=1000)
    save: bool = False


class FloorPointIn(_Body):
    pixel: tuple[float, float]
    world_m: tuple[float, float, float]


class PoseIn(_Body):
    """``POST /api/camera/pose``: a ChArUco board lying at ``board_at_m`` (its print's
    top-left corner) with its top edge along ``board_heading_deg``, or ``points``."""

    squares: str = Field("5x4", max_length=16)
    square_mm: float = Field(100.0, gt=0, le=1000)
    marker_mm: float = Field(75.0, gt=0, le=1000)
    dictionary: str = Field("5x5_100", max_length=16)
    board_at_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    board_heading_deg: float = Field(0.0, ge=-360, le=360)
    points: list[FloorPointIn] | None = Field(None, max_length=200)
    save: bool = False


# --------------------------------------------------------------------------- context


class WebContext:
    """Everything the routes share: the hub, the auth settings and the config file.

    ``camera_id`` (with a ``cameras:`` list): the camera this worker serves; saves go
    to its entry of the file, and the session cookie is ``frontdesk_session_ID`` (the
    cameras' UIs share a host name, and browsers share cookies across ports).
    ``cameras``: every camera's web UI, for the links between them.
    """

    def __init__(self, hub: LiveHub, auth: AuthSettings, config_path: str | None,
                 clock: Callable[[], float] = time.time,
                 limiter: LoginLimiter | None = None, camera_id: str | None = None,
                 cameras: Sequence[CameraPeer] = ()) -> None:
        self.hub = hub
        self.auth = auth
        self.camera_id = camera_id
        self.cameras = list(cameras)
        self.cookie_name = SESSION_COOKIE if camera_id is None else f"{SESSION_COOKIE}_{camera_id}"
        self.signer = SessionSigner(auth.session_s, clock=clock)
        self.limiter = limiter or LoginLimiter()
        self.gate = SecretGate(auth, self.limiter)
        self.config_file = ConfigFile(config_path) if config_path else None
        self.today = TodayFigures(hub)
        self.boards: list[Any] = []
        self.board_size: tuple[int, int] | None = None
        self.restart_needed: str | None = None

    def logged_in(self, request: Request) -> bool:
        """Open, or a valid session cookie (a Bearer value is checked by :meth:`bearer`)."""
        return self.auth.open or self.signer.valid(request.cookies.get(self.cookie_name))

    async def bearer(self, request: Request) -> Response | None:
        """None when ``Authorization: Bearer`` holds the token or password, else the answer.

        The same per-address limit as the login form: a locked-out address gets 429.
        """
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return _error(401, "log in first: open /login, or send Authorization: Bearer TOKEN",
                          **{"login": "/login"})
        client = request.client.host if request.client else "?"
        ok, wait_s = await run_in_threadpool(self.gate.check, client, value.strip(),
                                             "Bearer token")
        if ok:
            return None
        if wait_s > 0:
            secs = math.ceil(wait_s)
            response = _error(429, f"too many failed attempts from this address: try again in "
                                   f"{secs} s")
            response.headers["Retry-After"] = str(secs)
            return response
        return _error(401, "wrong Bearer token", **{"login": "/login"})


@functools.cache
def _page_html(name: str) -> str:
    """A page's HTML: its ``<main>`` in the shared layout, its own link current."""
    current = ' class="current"'
    nav = "".join(f'<a href="/{other}"{current if other == name else ""}>{label}</a>'
                  for other, (_, label) in PAGES.items())
    layout = Template((TEMPLATES / "layout.html").read_text(encoding="utf-8"))
    main = (TEMPLATES / f"{name}.html").read_text(encoding="utf-8").rstrip("\n")
    return layout.substitute(title=PAGES[name][0], name=name, nav=nav, main=main)


def _page(name: str) -> HTMLResponse:
    return HTMLResponse(_page_html(name), headers={"Cache-Control": "no-store"})


def _page_route(name: str) -> Callable[[], HTMLResponse]:
    """A route without parameters serving one fixed page."""

    def route() -> HTMLResponse:
        return _page(name)

    route.__name__ = f"page_{name}"
    return route


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/live"
    return value


def _login_page(message: str = "", next_path: str = "/live", status: int = 200,
                headers: dict[str, str] | None = None, camera: str | None = None) -> HTMLResponse:
    template = Template((TEMPLATES / "login.html").read_text(encoding="utf-8"))
    which = "" if camera is None else f" (camera {html.escape(camera)})"
    body = template.substitute(message=html.escape(message), next=html.escape(next_path),
                               hidden="" if message else "hidden", camera=which)
    return HTMLResponse(body, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _host_name(host_header: str) -> str:
    """The host part of a Host header (``[::1]:8080`` -> ``::1``)."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


# --------------------------------------------------------------------------- the guard


class _Guard:
    """Outermost ASGI layer: request size limit and security headers.

    Bodies over ``MAX_BODY_BYTES`` get 413, whether announced by Content-Length
    or streamed. Every response gets CSP, no-sniff, a same-origin referrer policy
    (same-origin form posts keep their Origin header) and no framing.
    """

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await self._reject(send, 400, "bad Content-Length header")
                return
            if int(length) > self.max_bytes:
                await self._reject(send, 413, self._too_large())
                return
        received = 0
        started = False
        too_large = False

        async def limited_receive() -> dict:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def secured_send(message: dict) -> None:
            nonlocal started
            if too_large:  # the app turned the aborted read into its own error: answer 413
                if not started:
                    started = True
                    await self._reject(send, 413, self._too_large())
                return
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"),
                         (b"x-frame-options", b"DENY")]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        try:
            await self.app(scope, limited_receive, secured_send)
        except _TooLarge:
            if not started:
                await self._reject(send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"request body too large: the limit is {self.max_bytes // 1024} KiB"

    @staticmethod
    async def _reject(send: Callable[[dict], Awaitable[None]], status: int, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


# --------------------------------------------------------------------------- the app


def create_app(ctx: WebContext) -> Any:
    """The ASGI application for ``ctx`` (FastAPI wrapped in the size and header guard)."""
    app = FastAPI(title="frontdesk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_handlers(app)
    _install_access_control(app, ctx)
    _add_auth_routes(app, ctx)
    _add_live_routes(app, ctx)
    _add_zone_routes(app, ctx)
    _add_camera_routes(app, ctx)
    _add_dashboard_routes(app, ctx)
    add_command_routes(app, ctx)
    add_legend_route(app)
    add_plan_routes(app, ctx)
    guarded = _Guard(app)
    guarded.fastapi = app  # type: ignore[attr-defined]
    return guarded


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
        return _error(422, "invalid request: " + "; ".join(problems[:5]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = "not found"
        return _error(exc.status_code, message)


def _install_access_control(app: FastAPI, ctx: WebContext) -> None:
    # Open (loopback, no password): only loopback host names, against DNS rebinding. With a
    # password a rebinding page gets nothing (no cookie for its name); proxies keep working.
    check_host = ctx.auth.open

    @app.middleware("http")
    async def access(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                     ) -> Response:
        path = request.url.path
        host = request.headers.get("host", "")
        if check_host and host and not is_loopback(_host_name(host)):
            # DNS rebinding: a web page must not reach a loopback-only UI by a foreign name
            return _error(421, f"this UI answers only to loopback host names, not {host!r}")
        if request.method in UNSAFE:
            origin = request.headers.get("origin")
            if origin and (origin == "null" or urlsplit(origin).netloc != host):
                return _error(403, "cross-site request refused")
        public = path in ("/healthz", "/login") or path.startswith("/static/")
        if public or ctx.logged_in(request):
            return await call_next(request)
        if path.startswith("/api/") or request.method != "GET" or "authorization" in (
                request.headers):
            refused = await ctx.bearer(request)
            return await call_next(request) if refused is None else refused
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def _add_auth_routes(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/healthz")
    def healthz() -> JSONResponse:
        h = ctx.hub.health()
        ok = h["camera"] in ("online", "starting")
        return JSONResponse({"status": "ok" if ok else "degraded", **h},
                            headers={"Cache-Control": "no-store"})

    @app.get("/login")
    def login_form(next_path: str | None = Query(None, alias="next")) -> Response:
        if ctx.auth.open:
            return RedirectResponse(_safe_next(next_path), status_code=303)
        return _login_page(next_path=_safe_next(next_path), camera=ctx.camera_id)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        password = str(form.get("password") or "")
        next_path = _safe_next(str(form.get("next") or ""))
        if ctx.auth.open:
            return RedirectResponse(next_path, status_code=303)
        client = request.client.host if request.client else "?"
        ok, wait_s = await run_in_threadpool(ctx.gate.check, client, password, "password")
        if wait_s > 0:
            secs = math.ceil(wait_s)
            return _login_page(f"Too many failed logins: try again in {secs} s.", next_path,
                               429, {"Retry-After": str(secs)}, ctx.camera_id)
        if not ok:
            return _login_page("Wrong password.", next_path, 401, camera=ctx.camera_id)
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(ctx.cookie_name, ctx.signer.issue(), max_age=int(ctx.auth.session_s),
                            httponly=True, samesite="strict", secure=ctx.auth.cookie_secure,
                            path="/")
        log.info("web login from %s", client)
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        ctx.signer.revoke(request.cookies.get(ctx.cookie_name))
        response = RedirectResponse("/login" if not ctx.auth.open else "/live", status_code=303)
        response.delete_cookie(ctx.cookie_name, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/")
    def root() -> Response:
        return RedirectResponse("/live", status_code=303)

    for name in PAGES:
        app.add_api_route(f"/{name}", _page_route(name), methods=["GET"],
                          response_class=HTMLResponse)

    @app.get("/api/session")
    def session(request: Request) -> dict[str, Any]:
        mode = "open" if ctx.auth.open else "password" if ctx.auth.password else "token"
        return {"auth": mode, "logged_in": True,
                "site_id": ctx.hub.config.site_id,
                "can_save": ctx.config_file is not None,
                "camera": ctx.camera_id,
                "cameras": _cameras_json(ctx, request)}


def _cameras_json(ctx: WebContext, request: Request) -> list[dict[str, Any]]:
    """Every camera's web UI, at the host name the browser used (None: port unknown)."""
    host = request.url.hostname or ""
    out = []
    for peer in ctx.cameras:
        current = peer.id == ctx.camera_id
        port = request.url.port if current or peer.served_by == ctx.camera_id else peer.port
        out.append({"id": peer.id, "counters": list(peer.counters), "current": current,
                    "url": url_for_host(request.url.scheme, host, port),
                    "served_by": peer.served_by})
    return out


def _add_live_routes(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/api/status")
    def status() -> dict[str, Any]:
        hub = ctx.hub
        return {"health": hub.health(), "saved_version": hub.saved_version,
                "applied_version": hub.applied_version, "apply_error": hub.apply_error,
                "restart_needed": ctx.restart_needed}

    @app.get("/api/frame.jpg")
    def frame(overlays: bool = True) -> Response:
        data = ctx.hub.jpeg(overlays)
        if data is None:
            return _error(503, ctx.hub.no_frame_reason(), health=ctx.hub.health())
        return Response(data, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store, private"})

    @app.get("/api/placement")
    def placement() -> dict[str, Any]:
        return ctx.hub.placement().to_json()


def _zones_json(config: Config) -> list[dict[str, Any]]:
    out = []
    for c in config.counters:
        z = c.zones
        out.append({"id": c.id, "name": c.name or c.id, "zones": {
            "approach": [list(p) for p in z.approach] if z.approach else None,
            "service": [list(p) for p in z.service],
            "staff": [list(p) for p in z.staff],
            "ignore": [[list(p) for p in poly] for poly in z.ignore],
        }})
    return out


def _polygon_errors(update: ZonesUpdate, known: set[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for c in update.counters:
        if c.id not in known:
            problems.append(f"unknown counter {c.id!r} (known: {', '.join(sorted(known))})")
            continue
        if c.id in seen:
            problems.append(f"counter {c.id!r} is given twice")
        seen.add(c.id)
        polys: list[tuple[str, Polygon]] = [("service", c.zones.service), ("staff", c.zones.staff)]
        if c.zones.approach is not None:
            polys.append(("approach", c.zones.approach))
        polys += [(f"ignore[{i}]", p) for i, p in enumerate(c.zones.ignore)]
        for kind, poly in polys:
            problem = polygon_problem([(float(x), float(y)) for x, y in poly])
            if problem:
                problems.append(f"{c.id} {kind}: {problem}")
    return problems


def _add_zone_routes(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/api/zones")
    def get_zones() -> dict[str, Any]:
        snap = ctx.hub.snapshot()
        return {"counters": _zones_json(ctx.hub.config),
                "frame": {"width": snap.width, "height": snap.height} if snap else None,
                "saved_version": ctx.hub.saved_version,
                "applied_version": ctx.hub.applied_version,
                "can_save": ctx.config_file is not None}

    @app.put("/api/zones")
    def put_zones(update: ZonesUpdate) -> JSONResponse:
        hub = ctx.hub
        problems = _polygon_errors(update, {c.id for c in hub.config.counters})
        if problems:
            return _error(400, "; ".join(problems), problems=problems)
        if ctx.config_file is None:
            return _error(409, "frontdesk was started without a config file: zones cannot be "
                          "saved")

        def edit(doc: Any) -> None:
            for c in update.counters:
                set_counter_zones(doc, c.id, c.zones.model_dump(), ctx.camera_id)

        saved = save_zones(ctx, edit)
        if isinstance(saved, JSONResponse):
            return saved
        result, running, version = saved
        return JSONResponse({"saved": True, "backup": result.backup.name, "version": version,
                             "message": f"saved to {result.path.name} (backup "
                             f"{result.backup.name}); applied from the next frame",
                             "counters": _zones_json(running)})


def _add_camera_routes(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/api/camera")
    def camera() -> dict[str, Any]:
        from frontdesk.camera_model import Intrinsics

        cfg = ctx.hub.config.camera
        snap = ctx.hub.snapshot()
        effective = None
        if snap is not None:
            intr = Intrinsics.from_config(cfg, snap.width, snap.height)
            effective = {"width": snap.width, "height": snap.height, "fx": round(intr.fx, 2),
                         "fy": round(intr.fy, 2), "cx": round(intr.cx, 2),
                         "cy": round(intr.cy, 2),
                         "horizontal_fov_deg": round(intr.horizontal_fov_deg, 2)}
        return {"horizontal_fov_deg": cfg.horizontal_fov_deg, "matrix": cfg.matrix,
                "distortion": cfg.distortion, "calibrated_size": cfg.calibrated_size,
                "pose": None if cfg.pose is None else cfg.pose.model_dump(mode="json"),
                "effective": effective, "boards": len(ctx.boards),
                "restart_needed": ctx.restart_needed, "can_save": ctx.config_file is not None}

    def save_camera(values: dict[str, Any]) -> JSONResponse:
        if ctx.config_file is None:
            return _error(409, "frontdesk was started without a config file: nothing saved")
        result = update_config(ctx, lambda doc: set_camera_keys(doc, values, ctx.camera_id))
        if isinstance(result, JSONResponse):
            return result
        ctx.restart_needed = "camera settings changed: restart frontdesk to use them"
        return JSONResponse({"saved": True, "backup": result.backup.name,
                             "message": f"saved to {result.path.name} (backup "
                             f"{result.backup.name}); restart frontdesk to use them"})

    @app.put("/api/camera")
    def put_camera(update: CameraUpdate) -> JSONResponse:
        values: dict[str, Any] = {}
        if update.horizontal_fov_deg is not None:
            values["horizontal_fov_deg"] = round(update.horizontal_fov_deg, 2)
        if update.clear_calibration:
            values.update(matrix=None, distortion=None, calibrated_size=None)
        if not values:
            return _error(400, "nothing to change: give horizontal_fov_deg or clear_calibration")
        return save_camera(values)

    @app.post("/api/camera/board")
    def capture_board(board: str = "9x6") -> JSONResponse:
        from frontdesk.calibration import find_board, parse_board

        try:
            spec = parse_board(board)
        except FrontdeskError as exc:
            return _error(400, str(exc))
        snap = ctx.hub.frame_with_image()
        if snap is None or snap.image is None:
            return _error(503, "no frame from the camera yet")
        size = (snap.width, snap.height)
        if ctx.board_size is not None and ctx.board_size != size:
            ctx.boards.clear()
        corners = find_board(snap.image, spec, fast=True)
        if corners is None:
            return _error(422, f"no {spec.cols}x{spec.rows} board found in this frame: hold "
                          f"the whole board flat in view, in good light", boards=len(ctx.boards))
        ctx.board_size = size
        ctx.boards.append(corners)  # corner coordinates only; the frame is not kept
        return JSONResponse({"found": True, "boards": len(ctx.boards),
                             "corners": [[round(float(x), 1), round(float(y), 1)]
                                         for x, y in corners.reshape(-1, 2)]})

    @app.delete("/api/camera/board")
    def clear_boards() -> dict[str, Any]:
        ctx.boards.clear()
        ctx.board_size = None
        return {"boards": 0}

    @app.post("/api/camera/calibrate")
    def calibrate(body: CalibrateIn) -> JSONResponse:
        from frontdesk.calibration import calibrate_corners, parse_board

        try:
            spec = parse_board(body.board, body.square_mm)
            if ctx.board_size is None:
                raise FrontdeskError("no board captured yet: capture at least 5 first")
            result = calibrate_corners(list(ctx.boards), ctx.board_size, spec)
        except FrontdeskError as exc:
            return _error(400, str(exc))
        out: dict[str, Any] = {"summary": result.summary(), "rms_px": result.rms_px,
                               "good": result.good, **result.config_values()}
        if body.save:
            saved = save_camera(result.config_values())
            if saved.status_code != 200:
                return saved
            out["saved"] = True
        return JSONResponse(out)

    _add_pose_route(app, ctx, save_camera)


def _solve_pose(body: PoseIn, image: np.ndarray, cfg: CameraConfig) -> PoseResult:
    """The camera's pose from the frame (a board) or from the body's points."""
    from frontdesk.camera_model import Intrinsics
    from frontdesk.pose_calibration import (
        BoardPlacement,
        CharucoSpec,
        FloorPoint,
        parse_squares,
        pose_from_board,
        pose_from_points,
    )

    h, w = image.shape[:2]
    intrinsics = Intrinsics.from_config(cfg, w, h)
    if body.points is not None:
        return pose_from_points([FloorPoint(p.pixel, p.world_m) for p in body.points],
                                intrinsics)
    sx, sy = parse_squares(body.squares)
    spec = CharucoSpec(sx, sy, body.square_mm, body.marker_mm, body.dictionary)
    return pose_from_board(image, spec, BoardPlacement(body.board_at_m, body.board_heading_deg),
                           intrinsics)


def _add_pose_route(app: FastAPI, ctx: WebContext,
                    save_camera: Callable[[dict[str, Any]], JSONResponse]) -> None:
    @app.post("/api/camera/pose")
    def camera_pose(body: PoseIn) -> JSONResponse:
        snap = ctx.hub.frame_with_image()
        if snap is None or snap.image is None:
            return _error(503, "no frame from the camera yet")
        try:
            result = _solve_pose(body, snap.image, ctx.hub.config.camera)
        except FrontdeskError as exc:
            return _error(422, str(exc))
        values = result.config_values()
        out: dict[str, Any] = {"summary": result.summary(), "rms_px": result.rms_px,
                               "good": result.good, "points": result.points, "pose": values}
        if body.save:
            saved = save_camera({"pose": values})
            if saved.status_code != 200:
                return saved
            out["saved"] = True
        return JSONResponse(out)


def _add_dashboard_routes(app: FastAPI, ctx: WebContext) -> None:
    @app.get("/api/state")
    def state() -> dict[str, Any]:
        return ctx.hub.dashboard_state()

    @app.get("/api/events")
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> Any:
            last_version, last_sent = -1, 0.0
            while not ctx.hub.closed:
                if await request.is_disconnected():
                    break
                now = time.monotonic()
                version = ctx.hub.version
                if version != last_version or now - last_sent > 2.0:
                    data = json.dumps(ctx.hub.dashboard_state(), allow_nan=False, default=str)
                    yield f"event: state\ndata: {data}\n\n"
                    last_version, last_sent = version, now
                await asyncio.sleep(0.5)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @app.get("/api/today")
    async def today() -> dict[str, Any]:
        result: dict[str, Any] = await run_in_threadpool(ctx.today.get)
        return result

    @app.get("/api/reports")
    def reports() -> dict[str, Any]:
        folder = reports_dir(ctx.hub.config)
        return {"folder": str(folder), "reports": list_reports(folder)}

    @app.get("/reports/{name}")
    def report(name: str) -> Response:
        path = report_path(reports_dir(ctx.hub.config), name)
        if path is None:
            return _error(404, "no such report")
        media = {"html": "text/html", "csv": "text/csv", "json": "application/json"}
        return FileResponse(path, media_type=media[path.suffix[1:]],
                            headers={"Content-Security-Policy": REPORT_CSP,
                                     "Cache-Control": "no-store, private"})
