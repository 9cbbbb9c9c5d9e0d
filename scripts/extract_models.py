#!/usr/bin/env python3
"""Extract the wire contract of the served AWS services from the installed botocore.

    python scripts/extract_models.py              # re-extract every model already shipped
    python scripts/extract_models.py sts health   # add (or refresh) these services
    python scripts/extract_models.py --check      # exit 1 if a shipped model differs

Run it with the pinned botocore installed (the `model` extra) whenever the pin moves. Each
model keeps its shapes, members, types, constraints, protocol metadata and errors; the
documentation strings are dropped (they are most of the size and none of the contract).
The result, src/dxlocal/spec/models/<service>.json, is what dxlocal parses and answers by,
whatever botocore version is installed beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent.parent / "src" / "dxlocal" / "spec" / "models"
# Human-readable text only: never read by a parser or serializer.
DROPPED = frozenset({"documentation", "documentationUrl", "deprecatedMessage"})


def strip(node: Any, *, names: bool = False) -> Any:
    """``node`` without documentation keys. A ``members`` map is keyed by member names, which
    are kept whatever they are called."""
    if isinstance(node, dict):
        return {
            key: strip(value, names=key == "members")
            for key, value in node.items()
            if names or key not in DROPPED
        }
    if isinstance(node, list):
        return [strip(item) for item in node]
    return node


def extract(service: str) -> str:
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    api_version = loader.determine_latest_version(service, "service-2")
    model = loader.load_service_model(service, "service-2", api_version)
    document = {
        "service": service,
        "apiVersion": api_version,
        "botocore": botocore.__version__,
        "model": strip(model),
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", help="botocore service names (default: shipped)")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    shipped = sorted(p.stem for p in MODELS.glob("*.json"))
    services = sorted(set(args.services) | set(shipped)) if not args.check else shipped
    stale = []
    for service in services:
        path = MODELS / f"{service}.json"
        text = extract(service)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(service)
            continue
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(MODELS.parent.parent.parent.parent)}: {len(text):,} bytes")
    if stale:
        print(f"stale models (re-run scripts/extract_models.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
