"""GET /tokens/me: the token a request is signed in with — what the console's header shows."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("role", ["viewer", "safety", "admin"])
def test_token_me_names_the_token_and_its_role(client, api_env, role):
    """issue 11 item 6.5: any valid token may ask who it is: its id, name and role, no secret."""
    r = client.get("/tokens/me", headers=api_env.auth(role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == f"test-{role}" and body["role"] == role
    assert set(body) == {"id", "name", "role"}
    assert api_env.tokens[role] not in r.text


def test_token_me_needs_a_token(client):
    """issue 11 item 6.5: without a token the answer is 401, naming the header."""
    r = client.get("/tokens/me")
    assert r.status_code == 401 and r.json()["detail"][0]["loc"] == ["header", "Authorization"]
