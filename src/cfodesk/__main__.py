"""Entry point: ``python -m cfodesk`` and the packaged app."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Worker processes of the frozen app re-enter here; freeze_support routes them.
    multiprocessing.freeze_support()
    from cfodesk.cli import main

    sys.exit(main())
