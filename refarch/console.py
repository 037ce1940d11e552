"""The ``refarch`` command: ``refarch.cli.main``, then an exit that does not wait on teardown.

When a command has done its work, two things still hold its process for about 1.3 s: the jsii
kernel's Node.js process freeing aws-cdk-lib's template-validation engine (Python waits for it to
exit), and the interpreter tearing down the few hundred thousand objects a local run made. Neither
writes anything the command reports. So the console script, once every exit handler has run
(``atexit`` runs the handler registered first last), flushes the standard streams and ends the
process with ``os._exit`` (https://docs.python.org/3/library/os.html#os._exit), with the status
``main`` returned. Node.js sees its standard input close and exits by itself.

``main`` is unchanged for callers in the same process (the tests), which keep a normal exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys


def run() -> None:
    """Run ``refarch`` with the process's arguments; exit with its status, without teardown."""
    status = 1  # an exception main() did not handle: the interpreter prints it, then exits 1

    def exit_now() -> None:
        for stream in (sys.stdout, sys.stderr):
            # Closed, or a broken pipe: there is nothing more to write.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)

    # Registered before refarch.cli (and what it imports) can register theirs: it runs last.
    atexit.register(exit_now)
    from refarch.cli import main

    try:
        status = main()
    except SystemExit as stop:  # argparse's usage errors, --help
        status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        raise
    except KeyboardInterrupt:
        status = 130  # what a shell reports for a command stopped with Ctrl-C (128 + SIGINT)
        raise
    sys.exit(status)
