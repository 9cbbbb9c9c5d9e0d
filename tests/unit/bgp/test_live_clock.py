"""Live BGP stamps what it learns on dxlocal's clock, so under ``--progress manual`` a
route's install time agrees with every other time the API shows (docs/lifecycle.md)."""

from __future__ import annotations

from typing import Any

from fakepeer import FakeDialer, Rig, drive, spec

from dxlocal.bgp.clock import ManualClock
from dxlocal.bgp.live import LiveBgp
from dxlocal.bgp.rib import AdjRibIn
from dxlocal.bgp.session import Session
from dxlocal.bgp.wire import AS_SEQUENCE, Attributes, Update
from dxlocal.config import Settings
from dxlocal.server.service import Service


def _update() -> Update:
    import ipaddress

    attrs = Attributes(origin=0, as_path=((AS_SEQUENCE, (65000,)),), next_hop="169.254.10.2")
    return Update(attributes=attrs, nlri=(ipaddress.ip_network("192.0.2.0/24"),))  # type: ignore[arg-type]


def test_rib_stamps_routes_with_the_clock_it_is_given() -> None:
    rib = AdjRibIn(4200000000, now=lambda: 1234.5)
    rib.apply(_update())
    assert rib.to_dicts()[0]["installedAt"] == 1234.5


def test_live_bridge_takes_its_time_from_dxlocals_clock(tmp_path: Any) -> None:
    service = Service(Settings(state=":memory:", progress="manual"))
    try:
        bridge = LiveBgp(service.settings, service.work, routes=None, apply_status=None)  # type: ignore[arg-type]
        start = service.clock.now()
        assert bridge.speaker.wall is not None and bridge.speaker.wall() == start
        service.clock.advance(3600)
        assert bridge.speaker.wall() == start + 3600

        async def learned() -> None:
            dialer, clock = FakeDialer("accept"), ManualClock()
            session = Session(spec(), dial=dialer, clock=clock, wall=bridge.speaker.wall)
            r = Rig(session, dialer, clock)
            peer = await r.establish()
            peer.send(_update())
            await r.settle()
            assert r.session.rib_in.to_dicts()[0]["installedAt"] == start + 3600

        drive(learned)
    finally:
        service.close()
