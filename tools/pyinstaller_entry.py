"""Entry script of the packaged app (PyInstaller runs this file as ``__main__``).

Worker processes of the frozen app are started with the spawn method and re-enter here;
``freeze_support`` routes them to their task before anything else runs, so a worker never
imports Qt, the window, the CLI or matplotlib.
"""

import multiprocessing
import os
import sys


def _set_up_qt() -> None:
    """Point Qt at the bundled plugins, as PyInstaller's PySide6 run-time hook would.

    build_app.spec leaves that hook out because it imports QtCore in every process, forecast
    workers included; here it runs only in the app's own process.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None:
        return
    if sys.platform == "win32":
        qt_root = os.path.join(bundle, "PySide6")
    else:
        qt_root = os.path.join(bundle, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_root, "plugins")
    try:
        from _pyi_rth_utils import qt as qt_rth_utils

        qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
        qt_rth_utils.create_embedded_qt_conf("PySide6", qt_root)
    except ImportError:
        pass  # Qt finds its prefix from QtCore's own location as well


def _keep_matplotlib_cache() -> None:
    """Point matplotlib at a lasting config folder so its font list is built once, not per run.

    PyInstaller's matplotlib hook gives every run a fresh temporary MPLCONFIGDIR, which makes
    each report rebuild the font cache (seconds on a desktop with many fonts).
    """
    from cfodesk.paths import user_data_dir

    try:
        folder = user_data_dir() / "matplotlib"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unwritable home keeps the temporary folder
    os.environ["MPLCONFIGDIR"] = str(folder)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    multiprocessing.set_start_method("spawn", force=True)
    _set_up_qt()
    _keep_matplotlib_cache()
    from cfodesk.cli import main

    sys.exit(main())
