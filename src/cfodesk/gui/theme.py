"""The window's look (one light, calm theme) and where its settings live."""

from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

__all__ = ["apply_theme", "app_settings", "COLORS", "ORG_NAME", "APP_TITLE"]

ORG_NAME = "CFO Desk"
APP_TITLE = "CFO Desk"

#: The few colours every view shares, so charts and cards read as one product.
COLORS = {
    "ink": "#1f2933",
    "muted": "#616e7c",
    "line": "#d9e2ec",
    "panel": "#ffffff",
    "window": "#f4f6f8",
    "accent": "#2463eb",
    "history": "#1f2933",
    "forecast": "#2463eb",
    "band80": (36, 99, 235, 70),
    "band95": (36, 99, 235, 35),
    "good": "#1a7f37",
    "bad": "#c0392b",
    "warn": "#b7791f",
    "anomaly": "#d64545",
}

_STYLE = """
QMainWindow, QDialog { background: #f4f6f8; }
QWidget { color: #1f2933; font-size: 10pt; }
QTabWidget::pane { border: 1px solid #d9e2ec; background: #ffffff; border-radius: 4px; }
QTabBar::tab { padding: 6px 14px; margin-right: 2px; background: #e8edf2;
               border-top-left-radius: 4px; border-top-right-radius: 4px; }
QTabBar::tab:selected { background: #ffffff; font-weight: 600; }
QFrame#card { background: #ffffff; border: 1px solid #d9e2ec; border-radius: 6px; }
QLabel#cardTitle { color: #616e7c; font-size: 9pt; }
QLabel#cardValue { font-size: 16pt; font-weight: 600; }
QLabel#headline { font-size: 13pt; font-weight: 600; }
QLabel#muted { color: #616e7c; }
QLabel#stageLabel { font-size: 11pt; font-weight: 600; }
QProgressBar { border: 1px solid #c5d0db; border-radius: 4px; background: #ffffff;
               text-align: center; height: 18px; }
QProgressBar::chunk { background: #2463eb; border-radius: 3px; }
QPushButton { padding: 5px 14px; border: 1px solid #c5d0db; border-radius: 4px;
              background: #ffffff; }
QPushButton:hover { background: #eef3f8; }
QPushButton:disabled { color: #9aa5b1; }
QPushButton#primary { background: #2463eb; color: white; border-color: #2463eb; }
QPushButton#primary:disabled { background: #9db8f5; border-color: #9db8f5; }
QHeaderView::section { background: #eef2f6; padding: 4px 6px; border: none;
                       border-right: 1px solid #d9e2ec; border-bottom: 1px solid #d9e2ec; }
QTableView { gridline-color: #e4e9ee; background: #ffffff; alternate-background-color: #f8fafc;
             selection-background-color: #dbe7fd; selection-color: #1f2933; }
QListWidget { background: #ffffff; border: 1px solid #d9e2ec; border-radius: 4px; }
QToolBar { background: #ffffff; border-bottom: 1px solid #d9e2ec; spacing: 6px; padding: 3px; }
QStatusBar { background: #ffffff; border-top: 1px solid #d9e2ec; }
"""


def apply_theme(app: QApplication) -> None:
    """Give the application the light theme (Fusion style, palette, stylesheet, chart colours)."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(COLORS["window"]))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(COLORS["ink"]))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f8fafc"))
    palette.setColor(QPalette.ColorRole.Text, QColor(COLORS["ink"]))
    palette.setColor(QPalette.ColorRole.Button, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(COLORS["ink"]))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(COLORS["accent"]))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(COLORS["ink"]))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE)
    configure_charts()


def configure_charts() -> None:
    """Set pyqtgraph's colours to the theme (white plots, dark ink, smooth lines)."""
    pg.setConfigOptions(background="w", foreground=COLORS["ink"], antialias=True)


def app_settings() -> QSettings:
    """Give the settings store: an INI file under CFODESK_HOME when set, else the platform's."""
    home = os.environ.get("CFODESK_HOME")
    if home:
        path = Path(home) / "settings.ini"
        path.parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORG_NAME, APP_TITLE)
