"""The speaker against ExaBGP (PyPI), a second independent BGP implementation."""

from __future__ import annotations

import time

from bgplab import AWS_ASN, CUST_ASN, ExaBGP, Lab, peer_specs, record, run, wait_until

from dxlocal.bgp.speaker import Speaker

V4 = ["192.0.2.0/24", "198.51.100.0/24"]
# A path that already carries the Amazon-side ASN: must be dropped (loop detection).
ECHO = f"203.0.113.0/24 as-path [ {CUST_ASN} {AWS_ASN} ]"
V6 = ["2001:db8:dddd::/48"]


def _mode(lab: Lab) -> str:
    return "loopback" if lab.loopback else "netns"


def test_exabgp_sessions_routes_echo_and_kill(lab: Lab) -> None:
    exa = ExaBGP(lab, [*V4, ECHO], V6)

    async def main() -> None:
        speaker = Speaker(netns=lab.aws_ns)
        try:
            await speaker.reconcile(peer_specs(lab))
            t0 = time.monotonic()
            exa.start()
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "up", 30)
            await wait_until(lambda: speaker.status("dxpeer-ipv6") == "up", 30)
            both = time.monotonic() - t0
            for fam in ("ipv4", "ipv6"):
                setup = speaker.info(f"dxpeer-{fam}")["lastSetupSeconds"] * 1000
                record(f"ExaBGP {_mode(lab)} {fam}: TCP connect -> Established {setup:.1f} ms")
            record(f"ExaBGP {_mode(lab)}: exabgp start -> both sessions up {both * 1000:.0f} ms")

            def accepted(key: str) -> set[str]:
                return {r["prefix"] for r in speaker.accepted_routes(key)}

            await wait_until(lambda: accepted("dxpeer-ipv4") == set(V4), 10)
            await wait_until(lambda: accepted("dxpeer-ipv6") == set(V6), 10)
            assert speaker.accepted_routes("dxpeer-ipv4")[0]["asPath"] == [CUST_ASN]
            # The looped path may come in a later UPDATE than the accepted ones.
            await wait_until(lambda: speaker.info("dxpeer-ipv4")["droppedOwnAsPaths"] == 1, 10)
            await wait_until(
                lambda: (
                    {"10.100.0.0/16", "10.101.0.0/16", "2600:1f00::/40"} <= exa.received_prefixes()
                ),
                10,
                0.2,
            )
            t1 = time.monotonic()
            exa.kill()
            await wait_until(lambda: speaker.status("dxpeer-ipv4") == "down", 9.5)
            await wait_until(lambda: speaker.status("dxpeer-ipv6") == "down", 9.5)
            record(
                f"ExaBGP {_mode(lab)}: SIGKILL -> both down {(time.monotonic() - t1) * 1000:.0f} ms"
            )
        finally:
            await speaker.close()

    try:
        run(main())
    except BaseException:
        print(exa.log())
        raise
