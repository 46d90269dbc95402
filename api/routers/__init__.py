"""One router per resource: buildings, twin, scenarios, runs, tokens, health."""

from api.routers import buildings, health, runs, scenarios, tokens, twin

__all__ = ["buildings", "health", "runs", "scenarios", "tokens", "twin"]
