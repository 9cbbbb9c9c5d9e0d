"""dxlocal: AWS Direct Connect on one machine.

Public surface: ``mock_directconnect`` (in-process mode), ``create_app`` (the ASGI app)
and ``__version__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "create_app", "mock_directconnect"]

if TYPE_CHECKING:
    from dxlocal.mock import mock_directconnect
    from dxlocal.server.asgi import create_app


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import dxlocal` stays cheap for the CLI and cold start.
    if name == "mock_directconnect":
        from dxlocal.mock import mock_directconnect

        return mock_directconnect
    if name == "create_app":
        from dxlocal.server.asgi import create_app

        return create_app
    raise AttributeError(name)
