"""The web console: server-rendered pages for each organisation kind and the public
verify page."""

from api.console.pages import router

__all__ = ["router"]
