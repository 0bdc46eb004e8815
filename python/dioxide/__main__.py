"""``python -m dioxide``: see :mod:`dioxide._cli` (``python -m dioxide --help``)."""

from dioxide._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
