"""CFO Desk: offline finance reports with honest live progress."""

__version__ = "0.1.0"
APP_NAME = "CFO Desk"

__all__ = ["APP_NAME", "__version__"]
