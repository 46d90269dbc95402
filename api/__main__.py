"""``python -m api`` is the ``twin`` command."""

from api.cli import main

# Guarded: the run pool's worker processes re-import ``__main__`` and must not run the CLI again.
if __name__ == "__main__":
    main()
