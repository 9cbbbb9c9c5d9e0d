"""The speaker against BIRD 2 (a customer router nobody here wrote)."""

from __future__ import annotations

import dataclasses
import time

from bgplab import CUST_ASN, Bird, Lab, peer_specs, record, run, wait_until

from dxlocal.bgp.speaker import Speaker

V4 = ["192.0.2.0/24", "198.51.100.0/24"]
V6 = ["2001:db8:aaaa::/48", "2001:db8:bbbb::/48"]


def _mode(lab: Lab) -> str:
    return "loopback" if lab.loopback else "netns"


def test_bird_sessions_routes_and_kill(lab: Lab) -> None:
    bird = Bird(lab, V4, V6)
    events: list[tuple[str, str, str]] = []

    async def main() -> None:
        speaker = Speaker(lambda *e: events.append(e), netns=lab.aws_ns)
        try:
            await speaker.reconcile(peer_specs(lab))
            t0 = time.monotonic()
            bird.start()
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "up", 20)
            await wait_until(lambda: speaker.status("dxpeer-ipv6") == "up", 20)
            both = time.monotonic() - t0
            for fam in ("ipv4", "ipv6"):
                info = speaker.info(f"dxpeer-{fam}")
                assert info["holdTime"] == 9
                record(
                    f"BIRD {_mode(lab)} {fam}: TCP connect -> Established "
                    f"{info['lastSetupSeconds'] * 1000:.1f} ms"
                )
            record(f"BIRD {_mode(lab)}: bird start -> both sessions up {both * 1000:.0f} ms")

            # BIRD's prefixes are accepted with its 4-octet ASN in the path...
            def accepted(key: str) -> set[str]:
                return {r["prefix"] for r in speaker.accepted_routes(key)}

            await wait_until(lambda: accepted("dxpeer-ipv4") == set(V4), 10)
            await wait_until(lambda: accepted("dxpeer-ipv6") == set(V6), 10)
            route = speaker.accepted_routes("dxpeer-ipv4")[0]
            assert route["asPath"] == [CUST_ASN] and route["origin"] == "igp"
            v6_hop = speaker.accepted_routes("dxpeer-ipv6")[0]["nextHop"]
            assert v6_hop == "2001:db8::2"  # the global part of BIRD's MP_REACH next hop
            # ...and ours reach BIRD.
            await wait_until(lambda: "10.101.0.0/16" in bird.routes("aws_v4"), 10, 0.2)
            assert "10.100.0.0/16" in bird.routes("aws_v4")
            await wait_until(lambda: "2600:1f00::/40" in bird.routes("aws_v6"), 10, 0.2)
            assert {r["prefix"] for r in speaker.advertised_routes("dxpeer-ipv4")} == {
                "10.100.0.0/16",
                "10.101.0.0/16",
            }

            # Killing the router: the TCP close takes both sessions down at once.
            t1 = time.monotonic()
            bird.kill()
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "down", 9.5)
            await wait_until(lambda: speaker.status("dxpeer-ipv6") == "down", 9.5)
            record(
                f"BIRD {_mode(lab)}: SIGKILL -> both down {(time.monotonic() - t1) * 1000:.0f} ms"
            )
            assert speaker.accepted_routes("dxpeer-ipv4") == []
        finally:
            await speaker.close()

    run(main())
    ups = [e for e in events if e[1] == "up"]
    downs = [e for e in events if e[1] == "down"]
    assert {e[0] for e in ups} == {"dxpeer-ipv4", "dxpeer-ipv6"}
    assert len(downs) >= 2


def test_bird_max_prefixes_takes_session_down(lab: Lab) -> None:
    many = [f"203.0.113.{i * 16}/28" for i in range(6)]
    bird = Bird(lab, many, [], families=("ipv4",))
    spec = dataclasses.replace(peer_specs(lab)[0], max_prefixes=4)
    events: list[tuple[str, str, str]] = []

    async def main() -> None:
        speaker = Speaker(lambda *e: events.append(e), netns=lab.aws_ns)
        try:
            await speaker.reconcile([spec])
            bird.start()
            await wait_until(lambda: "6/1" in speaker.info(spec.key)["lastError"], 20)
            assert speaker.status(spec.key) == "down"
            assert any(e[1] == "down" and "6/1" in e[2] for e in events)
            # BIRD decoded our Cease 6/1 with RFC 4486 data: AFI 1, SAFI 1, limit 4.
            await wait_until(
                lambda: (
                    "Received: Maximum number of prefixes reached: 00010100000004" in bird.log()
                ),
                5,
                0.2,
            )
            # Raising the limit (a live change) lets the next attempt stay up.
            await speaker.reconcile([dataclasses.replace(spec, max_prefixes=100)])
            await wait_until(lambda: speaker.status(spec.key) == "up", 20)
            await wait_until(lambda: len(speaker.accepted_routes(spec.key)) == 6, 10)
            count = speaker.info(spec.key)["establishedCount"]
            await asyncio_sleep(1.5)
            assert speaker.status(spec.key) == "up"
            assert speaker.info(spec.key)["establishedCount"] == count
        finally:
            await speaker.close()

    run(main())


def test_bird_disable_and_reenable_peer(lab: Lab) -> None:
    bird = Bird(lab, V4, V6)
    specs = peer_specs(lab)

    async def main() -> None:
        speaker = Speaker(netns=lab.aws_ns)
        try:
            await speaker.reconcile(specs)
            bird.start()
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "up", 20)
            await wait_until(lambda: speaker.status("dxpeer-ipv6") == "up", 20)
            # Failover test: the IPv4 peer is administratively down, IPv6 stays up.
            down = [dataclasses.replace(specs[0], enabled=False), specs[1]]
            await speaker.reconcile(down)
            assert speaker.status("dxpeer-ipv4") == "down"
            await asyncio_sleep(3)  # BIRD retries; the disabled peer must refuse
            assert speaker.status("dxpeer-ipv4") == "down"
            assert speaker.status("dxpeer-ipv6") == "up"
            await wait_until(lambda: "10.100.0.0/16" not in bird.routes("aws_v4"), 5, 0.2)
            t0 = time.monotonic()
            await speaker.reconcile(specs)
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "up", 20)
            record(f"BIRD {_mode(lab)}: re-enable -> up {(time.monotonic() - t0) * 1000:.0f} ms")
            await wait_until(lambda: len(speaker.accepted_routes("dxpeer-ipv4")) == 2, 10)
            # Removing a peer drops its session only.
            await speaker.reconcile(specs[1:])
            assert speaker.status("dxpeer-ipv4") == "down"
            assert speaker.status("dxpeer-ipv6") == "up"
        finally:
            await speaker.close()

    run(main())


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
