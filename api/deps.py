"""What routes depend on: the app's context and the caller's role.

As in the FastAPI full-stack template's ``api/deps.py``, dependencies are ``Annotated`` aliases a
route names in its signature: ``ctx: Ctx`` for the app's parts, and one of ``Viewer``,
``Engineer``, ``Planner`` or ``Admin`` for the least role the route needs. A request without a
token gets 401; with a token whose role is too low, 403 — before the route runs, so never data.

Roles: viewer < engineer < supervisor = safety = planner < admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Principal, TokenStore
from api.catalogue import BuildingCatalogue
from api.hub import Hub
from api.metrics import Metrics
from api.runs import RunManager
from api.settings import Settings

__all__ = ["AppContext", "ApiError", "Ctx", "Viewer", "Engineer", "Planner", "Admin", "require", "get_ctx",
           "authenticate", "auth_error_first", "ROLE_LABELS"]


@dataclass
class AppContext:
    """The parts of a running app, made in its lifespan."""

    settings: Settings
    tokens: TokenStore
    runs: RunManager
    hub: Hub
    buildings: BuildingCatalogue
    metrics: Metrics
    live: Any = None
    live_link: Any = None
    live_error: str | None = None
    triggers: Any = None
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class ApiError(HTTPException):
    """A 4xx whose body names the field it is about (``loc``), like FastAPI's validation errors."""

    def __init__(self, status: int, loc: list[str | int], msg: str, type: str = "invalid",
                 headers: dict[str, str] | None = None, items: list[dict] | None = None):
        self.items = items or [{"loc": loc, "msg": msg, "type": type}]
        super().__init__(status_code=status, detail=self.items, headers=headers)


async def get_ctx(request: Request) -> AppContext:
    # A coroutine, so FastAPI calls it on the event loop: a plain function would be sent to the
    # thread pool on every request, a round trip through the GIL that costs more than the lookup.
    return request.app.state.ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]

_bearer = HTTPBearer(auto_error=False, description="an API token: `Authorization: Bearer twin_…`")

ROLE_LABELS = {
    "viewer": "viewer (or any role)",
    "engineer": "engineer, supervisor, safety, planner or admin",
    "planner": "supervisor, safety, planner or admin",
    "admin": "admin",
}


async def authenticate(tokens: TokenStore, token: str | None) -> Principal:
    """The principal of a bearer token; 401 when it is missing, unknown or revoked.

    Checked on the event loop: a token's hash is an HMAC (see :mod:`api.auth`), cheaper to check
    than a trip to the thread pool would be."""
    if not token:
        raise ApiError(401, ["header", "Authorization"], "an API token is needed: Authorization: Bearer twin_…",
                       "missing_token", headers={"WWW-Authenticate": "Bearer"})
    # The revocation counter (one read), then the cache or one indexed read and an HMAC: microseconds.
    principal = tokens.verify(token)
    if principal is None:
        raise ApiError(401, ["header", "Authorization"], "unknown or revoked token", "invalid_token",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return principal


def require(role: str):
    """A dependency that lets through tokens of ``role`` or above."""

    async def dependency(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        principal = await authenticate(request.app.state.ctx.tokens,
                                       credentials.credentials if credentials else None)
        if not principal.may(role):
            raise ApiError(403, ["header", "Authorization"],
                           f"this needs the role {ROLE_LABELS[role]}; this token's role is {principal.role!r}",
                           "forbidden")
        return principal

    dependency.__name__ = f"require_{role}"
    dependency.role = role  # type: ignore[attr-defined]  # read by auth_error_first
    return dependency


def _required_role(dependant: Any) -> str | None:
    for dep in getattr(dependant, "dependencies", ()):
        role = getattr(dep.call, "role", None)
        if isinstance(role, str) and dep.call.__name__ == f"require_{role}":
            return role
        role = _required_role(dep)
        if role is not None:
            return role
    return None


async def auth_error_first(request: Request) -> ApiError | None:
    """The 401 or 403 a request would have got from its route's role check, or None.

    FastAPI reads and decodes a request's body before it runs the route's dependencies, so a body
    that is not JSON is refused (422, or 400) before the token is looked at. The app's error
    handlers ask this first: authentication comes before any word about the input."""
    route = request.scope.get("route")
    role = _required_role(getattr(route, "dependant", None))
    if role is None:
        return None
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    token = credential.strip() if scheme.lower() == "bearer" else None
    try:
        await require(role)(request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
                            if token else None)
    except ApiError as exc:
        return exc
    return None


Viewer = Annotated[Principal, Depends(require("viewer"))]
Engineer = Annotated[Principal, Depends(require("engineer"))]
Planner = Annotated[Principal, Depends(require("planner"))]
Admin = Annotated[Principal, Depends(require("admin"))]


_ERROR_TEXT = {
    400: "the body could not be read (not UTF-8 JSON)",
    401: "no token, or an unknown or revoked one",
    403: "the token's role may not do this",
    404: "no such resource",
    409: "the resource is not in a state that allows this",
    413: "request body too large",
    422: "invalid input; each item names the field",
    429: "too many runs under way",
    503: "the live twin is not running",
}


def error_responses(*codes: int, non_json_route: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the 4xx a route may answer (400/401/403/413/422 always).

    ``non_json_route``: the route answers text or HTML when it succeeds; its errors are still JSON.
    """
    from api.schemas import ErrorResponse

    codes = tuple(sorted({400, 401, 403, 413, 422, *codes}))
    if non_json_route:
        ref = {"$ref": "#/components/schemas/ErrorResponse"}
        return {code: {"description": _ERROR_TEXT[code], "content": {"application/json": {"schema": ref}}}
                for code in codes}
    return {code: {"model": ErrorResponse, "description": _ERROR_TEXT[code]} for code in codes}


__all__ += ["error_responses"]
