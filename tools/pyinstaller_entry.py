"""Entry script of the packaged app (PyInstaller runs this file as ``__main__``).

Worker processes of the frozen app are started with the spawn method and re-enter here;
``freeze_support`` routes them to their task before any app code runs.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    multiprocessing.set_start_method("spawn", force=True)
    from cfodesk.cli import main

    sys.exit(main())
