"""The composition root: what ``dxlocal serve`` runs, wired together.

    Service (API + control routes + unit of work on the store)
      └─ --bgp live: LiveBgp(settings, service.work,
                             routes=provider.bgp_sessions.VifRoutes(settings, clock),
                             apply_status=provider.bgp_sessions.StatusWriter(clock, delay))
           ├─ service.use_live_routes(bridge.routes)   (the API reads the sessions' routes)
           ├─ service.control.mount(lab_routes.routes(bridge))   (/_dxlocal/lab, /bgp/sessions)
           ├─ TrafficSampler(bridge, …)   the lab's counters -> CloudWatch traffic metrics
           └─ a shared store (PostgreSQL): the bridge runs under a lease (store/lease.py),
              on one server at a time

Nothing else knows both sides: the provider never imports the server or the speaker, the
speaker bridge never imports the provider.
"""

from __future__ import annotations

from typing import Any

from dxlocal.config import Settings
from dxlocal.server.service import Service


def build(settings: Settings) -> tuple[Service, list[Any]]:
    """The service, and the companions to start and stop with the server."""
    service = Service(settings)
    companions: list[Any] = []
    if settings.bgp == "live":
        from dxlocal.bgp import lab_routes
        from dxlocal.bgp.live import LiveBgp
        from dxlocal.provider import bgp_sessions

        bridge = LiveBgp(
            settings,
            service.work,
            routes=bgp_sessions.VifRoutes(settings, service.clock),
            apply_status=bgp_sessions.StatusWriter(service.clock, settings.delay),
        )
        service.use_live_routes(bridge.routes)
        service.control.mount(lab_routes.routes(bridge))
        from dxlocal.bgp.traffic import TrafficSampler

        sampler = TrafficSampler(bridge, service.work, service.clock.now, settings.traffic_sample)
        if service.store.shared:
            # Several servers on one store: the lease holder runs the speaker, and re-reads
            # every VIF each second, so VIFs changed through other servers reach it
            # (docs/storage.md#postgresql-several-servers-one-database).
            from dxlocal.store.lease import Leased

            refresh = lambda: bridge.kick(full=True)  # noqa: E731
            companions.append(Leased(service.store, "live-bgp", bridge, refresh=refresh))
        else:
            companions.append(bridge)
        companions.append(sampler)  # samples whatever the bridge has attached
    return service, companions


def app(settings: Settings) -> Any:
    """The same wiring as an ASGI app."""
    from dxlocal.server.asgi import create_app

    service, companions = build(settings)
    return create_app(service=service, companions=companions)
