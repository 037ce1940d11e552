"""``python -m refarch``: the ``refarch`` command (``refarch.console``)."""

from refarch.console import run

run()
