"""Tokens: an admin makes, lists and revokes the API tokens people and tools use.

A new token's text is in the answer to its creation and nowhere else; the server keeps only a
salted hash.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.auth import LastAdminError, TokenInfo
from api.deps import Admin, ApiError, Ctx, Viewer, error_responses
from api.schemas import TokenCreate, TokenCreated, TokenList, TokenMe, TokenOut

__all__ = ["router"]

router = APIRouter(prefix="/tokens", tags=["tokens"])

TokenId = Annotated[str, Path(pattern=r"^[a-f0-9]{1,32}$", examples=["3fa2b81c09de"])]


def _out(info: TokenInfo) -> TokenOut:
    return TokenOut(id=info.id, name=info.name, role=info.role, created_at=info.created_at,  # type: ignore[arg-type]
                    revoked_at=info.revoked_at, created_by=info.created_by)


@router.post("", response_model=TokenCreated, status_code=201, responses=error_responses(), summary="Make a token")
def create_token(body: TokenCreate, ctx: Ctx, who: Admin) -> TokenCreated:
    """The answer holds the token's text; it is not shown again."""
    info, text = ctx.tokens.create(body.role, body.name, created_by=who.name)
    return TokenCreated(**_out(info).model_dump(), token=text)


@router.get("/me", response_model=TokenMe, responses=error_responses(), summary="The token this request is signed in with")
def token_me(who: Viewer) -> TokenMe:
    """Its id, name and role — what the console's header shows; any valid token may ask about itself."""
    return TokenMe(id=who.token_id, name=who.name, role=who.role)


@router.get("", response_model=TokenList, responses=error_responses(), summary="List tokens")
def list_tokens(ctx: Ctx, _: Admin, include_revoked: bool = True) -> TokenList:
    return TokenList(tokens=[_out(t) for t in ctx.tokens.list(include_revoked=include_revoked)])


@router.post("/{token_id}/revoke", response_model=TokenOut, responses=error_responses(404, 409),
             summary="Revoke a token")
def revoke_token(token_id: TokenId, ctx: Ctx, _: Admin) -> TokenOut:
    """The token stops working at once, on every server using this database, and its open streams
    are closed (code 4401) within a second; revoking twice is harmless. The last admin token cannot
    be revoked (409): make another admin token first."""
    try:
        info = ctx.tokens.revoke(token_id)
    except LastAdminError as exc:
        raise ApiError(409, ["path", "token_id"], str(exc), "last_admin") from None
    if info is None:
        raise ApiError(404, ["path", "token_id"], f"no token {token_id!r}", "not_found")
    return _out(info)
