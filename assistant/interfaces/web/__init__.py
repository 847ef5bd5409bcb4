"""The staff chat page: layout (``app``), event handlers, renderers and stylesheet."""

from .app import build_app, launch_app, serve

__all__ = ["build_app", "launch_app", "serve"]
