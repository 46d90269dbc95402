"""``twin token``: make, list and revoke API tokens from the server's own machine.

The tokens live (hashed) in the API database under the data folder, the same one ``twin serve``
uses (``--data-dir`` or ``TWIN_DATA_DIR``). A new token is printed once; keep it, it cannot be
shown again.
"""

from __future__ import annotations

from pathlib import Path

import click

from api.auth import ROLES, LastAdminError, TokenStore

__all__ = ["token"]


def _store(data_dir: Path | None) -> TokenStore:
    from api.settings import Settings

    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    return TokenStore(settings.db_path, cache_s=0)


class _Refused(click.ClickException):
    """A request the token store refuses (exit status 2, like a usage error)."""

    exit_code = 2


_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         help="the server's data folder (default: TWIN_DATA_DIR or ./twin-data)")


@click.group("token")
def token() -> None:
    """Make, list and revoke API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="viewer < engineer < supervisor/safety/planner < admin")
@click.option("--name", default="", help="who or what the token is for")
@_DATA_DIR
def create(role: str, name: str, data_dir: Path | None) -> None:
    """Make a token and print it (once)."""
    store = _store(data_dir)
    try:
        info, text = store.create(role, name, created_by="twin token create")
    finally:
        store.close()
    click.echo(f"token {info.id} ({info.role}, {info.name!r}):")
    click.echo(text)


@token.command("list")
@_DATA_DIR
def list_tokens(data_dir: Path | None) -> None:
    """List tokens (never their secrets)."""
    store = _store(data_dir)
    try:
        for t in store.list():
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            click.echo(f"{t.id}  {t.role:<10} {state:<24} {t.name}")
    finally:
        store.close()


@token.command("revoke")
@click.argument("token_id")
@_DATA_DIR
def revoke(token_id: str, data_dir: Path | None) -> None:
    """Revoke a token by its id (the part after ``twin_``).

    A running server stops the token within a second and closes its open streams. The last admin
    token cannot be revoked (exit status 2): make another admin token first."""
    store = _store(data_dir)
    try:
        info = store.revoke(token_id)
    except LastAdminError as exc:
        raise _Refused(str(exc)) from None
    finally:
        store.close()
    if info is None:
        raise click.ClickException(f"no token {token_id!r}")
    click.echo(f"revoked {info.id} ({info.role}, {info.name!r})")
