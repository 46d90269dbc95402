"""``python -m api`` is the ``twin`` command."""

from api.cli import main

main()
