"""``Leased``: a companion runs on one server at a time and moves when its holder dies."""

from __future__ import annotations

import asyncio

import pytest

from dxlocal.config import Settings
from dxlocal.store import open_store
from dxlocal.store.lease import Leased


class Role:
    def __init__(self) -> None:
        self.running = False
        self.starts = 0
        self.refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1

    async def start(self) -> None:
        self.running = True
        self.starts += 1

    async def stop(self) -> None:
        self.running = False


def test_one_server_plays_the_role_and_another_takes_over(pg_url):
    async def scenario() -> None:
        stores = [open_store(Settings(state=pg_url)) for _ in range(3)]
        roles = [Role() for _ in stores]
        leases = [
            Leased(s, "live-bgp", r, ttl=0.6, renew=0.2, refresh=r.refresh)
            for s, r in zip(stores, roles, strict=True)
        ]
        for lease in leases:
            await lease.start()
        await asyncio.sleep(0.5)
        assert [r.running for r in roles] == [True, False, False]
        assert roles[0].refreshed >= 1 and roles[1].refreshed == roles[2].refreshed == 0
        # The holder dies: it stops renewing, without releasing.
        leases[0]._task.cancel()
        await asyncio.sleep(1.2)
        assert sum(r.running for r in roles[1:]) == 1
        # The old holder comes back (a stalled process): it finds the lease taken and stops.
        await leases[0]._step()
        assert not roles[0].running
        assert sum(r.running for r in roles) == 1
        # A clean stop hands the role over at once.
        current = next(i for i, r in enumerate(roles) if r.running)
        await leases[current].stop()
        await asyncio.sleep(0.5)
        assert sum(r.running for r in roles) == 1 and not roles[current].running
        for lease in leases:
            await lease.stop()
        for s in stores:
            s.close()

    asyncio.run(scenario())


def test_a_lone_server_on_a_file_holds_the_role_from_the_start(tmp_path):
    async def scenario() -> None:
        store = open_store(Settings(state=str(tmp_path / "s.sqlite3")))
        role = Role()
        lease = Leased(store, "live-bgp", role)
        await lease.start()
        assert role.running  # before the first renewal
        await lease.stop()
        assert not role.running
        store.close()

    asyncio.run(scenario())


def test_the_lease_must_be_renewed_within_its_time(tmp_path):
    with pytest.raises(ValueError):
        Leased(open_store(":memory:"), "x", Role(), ttl=1.0, renew=1.0)
