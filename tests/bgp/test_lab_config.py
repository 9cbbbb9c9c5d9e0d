"""``dxlocal lab config`` carries BFD (300 ms x 3) and graceful restart (120 s) as the Amazon
side runs them (docs/bfd.md), and the daemons accept what it prints: BIRD 2 parses it
(``bird -p``) and FRR's bgpd reads it without an unknown command (``bgpd -C``). That the
lines also work is shown live: test_live_faults.py and test_live_bfd.py run BIRD on exactly
this output, and its BFD session comes up."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from bgplab import need

from dxlocal.bgp import lab_config

PEERS = [
    {"bgpPeerId": "dxpeer-a", "addressFamily": "ipv4", "asnLong": 65010, "authKey": "k1",
     "amazonAddress": "169.254.0.1/30", "customerAddress": "169.254.0.2/30"},
    {"bgpPeerId": "dxpeer-b", "addressFamily": "ipv6", "asnLong": 65010,
     "amazonAddress": "2001:db8::1/125", "customerAddress": "2001:db8::2/125"},
]  # fmt: skip
VIF = {"virtualInterfaceId": "dxvif-a", "virtualInterfaceName": "x", "virtualInterfaceType":
       "private", "vlan": 101, "amazonSideAsn": 64512, "bgpPeers": PEERS}  # fmt: skip


def info(mode: str) -> dict:
    def transport(p: dict, n: int) -> dict:
        if mode == "loopback":
            return {"mode": mode, "amazon": {"address": f"127.1.0.{4 * n + 1}", "port": 20000},
                    "customer": {"address": f"127.1.0.{4 * n + 2}", "port": 20001}}  # fmt: skip
        amazon, customer = (p[k].split("/")[0] for k in ("amazonAddress", "customerAddress"))
        return {"mode": mode, "amazon": {"address": amazon, "port": 179},
                "customer": {"address": customer, "port": 179}}  # fmt: skip

    return {"mode": mode, "netns": "cust" if mode == "netns" else None,
            "interface": "dxcabcdefg.101" if mode == "netns" else None, "holdTime": 90,
            "connectRetry": 2, "peers": [{"bgpPeerId": p["bgpPeerId"], "transport":
                                          transport(p, n)} for n, p in enumerate(PEERS)]}  # fmt: skip


def test_the_lines_match_what_the_amazon_side_runs() -> None:
    bird = lab_config.render("bird", VIF, info("netns"), announce=["192.0.2.0/24"])
    assert ('protocol bfd { interface "dxcabcdefg.101" { min rx interval 300 ms; '
            "min tx interval 300 ms; multiplier 3; }; }") in bird  # fmt: skip
    assert bird.count("  bfd on;") == 2
    assert bird.count("  graceful restart on; graceful restart time 120;") == 2
    frr = lab_config.render("frr", VIF, info("netns"))
    assert " bgp graceful-restart\n bgp graceful-restart restart-time 120\n" in frr
    assert " neighbor 169.254.0.1 bfd 3 300 300\n" in frr
    assert " neighbor 2001:db8::1 bfd 3 300 300\n" in frr
    assert "/usr/lib/frr/bfdd" in frr  # the header says to run bfdd beside bgpd
    # --no-bfd, and the loopback transport (multihop: no single-hop BFD there)
    for text in (lab_config.render("bird", VIF, info("netns"), bfd=False),
                 lab_config.render("bird", VIF, info("loopback"))):  # fmt: skip
        assert "bfd" not in text and "graceful restart on;" in text
    for text in (lab_config.render("frr", VIF, info("netns"), bfd=False),
                 lab_config.render("frr", VIF, info("loopback"))):  # fmt: skip
        assert "bfd" not in text and "bgp graceful-restart restart-time 120" in text
    # --no-graceful-restart: AWS advises against graceful restart together with BFD
    assert "graceful" not in lab_config.render("bird", VIF, info("netns"), gr=False)
    assert "graceful" not in lab_config.render("frr", VIF, info("netns"), gr=False)


@pytest.mark.parametrize("mode", ["netns", "loopback"])
def test_bird_parses_it(tmp_path: Path, mode: str) -> None:
    conf = tmp_path / "bird.conf"
    conf.write_text(lab_config.render("bird", VIF, info(mode), announce=["192.0.2.0/24"]))
    res = subprocess.run([need("bird"), "-p", "-c", str(conf)], capture_output=True, text=True,
                         timeout=30)  # fmt: skip
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("mode", ["netns", "loopback"])
def test_frr_bgpd_reads_it_without_an_unknown_command(tmp_path: Path, mode: str) -> None:
    bgpd = Path("/usr/lib/frr/bgpd")
    if not bgpd.exists():
        pytest.skip("FRR is not installed")
    if os.geteuid() != 0:
        pytest.skip("bgpd -C runs as root here (-u root)")
    conf = tmp_path / "bgpd.conf"
    conf.write_text(lab_config.render("frr", VIF, info(mode), announce=["192.0.2.0/24"]))
    # bgpd -C (dry run) exits 0 even on a bad line; what it rejects it logs as [EC …]
    res = subprocess.run([str(bgpd), "-C", "-f", str(conf), "-u", "root", "-g", "frrvty", "-Z",
                          "-p", "0", "--vty_socket", str(tmp_path), "-i",
                          str(tmp_path / "bgpd.pid")], capture_output=True, text=True,
                         timeout=30)  # fmt: skip
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "[EC " not in out, out
    bad = tmp_path / "bad.conf"
    bad.write_text(conf.read_text().replace(" bfd 3 300 300", " bfdx 3 300 300"))
    res = subprocess.run([str(bgpd), "-C", "-f", str(bad), "-u", "root", "-g", "frrvty", "-Z",
                          "-p", "0", "--vty_socket", str(tmp_path), "-i",
                          str(tmp_path / "bgpd.pid")], capture_output=True, text=True,
                         timeout=30)  # fmt: skip
    assert mode == "loopback" or "No such command" in res.stdout + res.stderr  # the check bites
