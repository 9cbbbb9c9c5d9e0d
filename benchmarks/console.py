"""The console with a large topology: first paint and how fast a change reaches the page.

    .venv/bin/python benchmarks/console.py [--vifs 1000] [--changes 50]

Starts ``dxlocal serve`` on a fresh state file, creates ``--vifs`` private VIFs (50 per
connection) with two BGP peers each through boto3, then opens the console in Debian's Chromium
(Playwright) and measures:

- first paint: from navigation to every VIF and peer drawn, median of 3 loads;
- update latency: from an UpdateVirtualInterfaceAttributes call (a new VIF name) returning to
  the new name showing in the page, for ``--changes`` calls; median and p90.

Needs the test extra (playwright) and ``chromium``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from dxtest import LiveServer  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def seed(server: LiveServer, n_vifs: int) -> list[str]:
    dx = server.client()
    vifs: list[str] = []
    locations = ["EqDC2", "CSVA1", "EqNY5", "EqAT1", "CSNY1", "DRAT1"]
    conns = []
    for i in range((n_vifs + 49) // 50):
        conn = dx.create_connection(
            location=locations[i % len(locations)], bandwidth="10Gbps", connectionName=f"c{i}"
        )
        conns.append(conn["connectionId"])
    time.sleep(1.0)  # the connections become available (--delay 0.05)
    for i in range(n_vifs):
        vif = dx.create_private_virtual_interface(
            connectionId=conns[i // 50],
            newPrivateVirtualInterface={
                "virtualInterfaceName": f"vif-{i}", "vlan": 100 + i % 50, "asn": 65000,
                "virtualGatewayId": "vgw-0a1b2c3d",
            },
        )  # fmt: skip
        dx.create_bgp_peer(
            virtualInterfaceId=vif["virtualInterfaceId"],
            newBGPPeer={"asn": 65000, "addressFamily": "ipv6"},
        )
        vifs.append(vif["virtualInterfaceId"])
    return vifs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vifs", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp) / "state.sqlite3").start()
        try:
            started = time.monotonic()
            vifs = seed(server, args.vifs)
            seeded = time.monotonic() - started
            time.sleep(1.0)  # every peer up
            dx = server.client()
            n_nodes = args.vifs * 3
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                paints = []
                for _ in range(3):
                    t0 = time.monotonic()
                    page.goto(f"{server.url}/_dxlocal/console/")
                    page.wait_for_function(
                        "n => document.querySelectorAll('.node[data-kind=virtualInterface],"
                        " .node[data-kind=bgpPeer]').length >= n",
                        arg=n_nodes,
                        timeout=30000,
                    )
                    paints.append(time.monotonic() - t0)
                page.wait_for_selector("#live.on")
                latencies = []
                for i in range(args.changes):
                    vid = vifs[(i * 37) % len(vifs)]
                    name = f"renamed-{i}"
                    t0 = time.monotonic()
                    dx.update_virtual_interface_attributes(
                        virtualInterfaceId=vid, virtualInterfaceName=name
                    )
                    page.wait_for_function(
                        "([id, name]) => { const n = document.querySelector("
                        "`.node[data-kind=virtualInterface][data-id='${id}'] .name`);"
                        " return n && n.textContent === name; }",
                        arg=[vid, name],
                        polling=5,
                        timeout=10000,
                    )
                    latencies.append(time.monotonic() - t0)
                browser.close()
        finally:
            server.stop()
    latencies.sort()
    print(json.dumps({
        "vifs": args.vifs, "peers": args.vifs * 2, "seed_seconds": round(seeded, 1),
        "first_paint_s": {"median": round(statistics.median(paints), 3), "all": [round(x, 3) for x in paints]},
        "update_ms": {"median": round(1000 * statistics.median(latencies), 1),
                      "p90": round(1000 * latencies[int(0.9 * (len(latencies) - 1))], 1),
                      "max": round(1000 * latencies[-1], 1), "n": len(latencies)},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
