"""The front doors: the ``twin`` command line (and, with the API issue, the FastAPI app).

Nothing imports ``api``; it imports everything else.
"""

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the ``twin`` command line."""
    from api.cli import main as cli_main

    cli_main(argv)
