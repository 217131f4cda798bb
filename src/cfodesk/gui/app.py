"""Start the desktop app: QApplication, theme, icon, and the main window on the bundled sample.

``CFODESK_EXIT_AFTER_SHOW=1`` prints ``window-shown <seconds since process start>`` once the
window is on screen and quits (used to measure cold start).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

__all__ = ["main", "process_age_s"]


def process_age_s() -> float:
    """Give the seconds since this process started (falls back to since import)."""
    try:
        import psutil

        return time.time() - psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - psutil is a dev extra; the figure is only informative
        return time.perf_counter() - _IMPORTED_AT


_IMPORTED_AT = time.perf_counter()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the window until it is closed; give the exit code."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .. import __version__
    from ..paths import resource_path
    from .main_window import MainWindow
    from .theme import APP_TITLE, ORG_NAME, apply_theme

    args = list(sys.argv if argv is None else ["cfodesk", *argv])
    app = QApplication.instance() or QApplication(args)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_TITLE)
    app.setApplicationVersion(__version__)
    try:
        app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    except FileNotFoundError:
        pass
    apply_theme(app)
    window = MainWindow()
    window.show()
    if os.environ.get("CFODESK_EXIT_AFTER_SHOW") == "1":

        def shown() -> None:
            print(f"window-shown {process_age_s():.3f}", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, shown)
    else:
        # Open on the sample so a new user sees a real report being built straight away.
        QTimer.singleShot(0, window.open_sample)
    return int(app.exec())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
