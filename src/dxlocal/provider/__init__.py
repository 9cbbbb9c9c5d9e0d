"""One module per resource family; each registers its operations with ``@operation``.

``load_all()`` imports every module of this package, so adding a family is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache


@cache
def load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
