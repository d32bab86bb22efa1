"""One prober over several vCenters: each source host's jobs go to the prober of the vCenter that has it."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from validator.prober import EndKind, Job, JobCallback, Prober, SessionEnd


class RoutingProber:
    """Routes by source host name; hosts no vCenter has cannot be probed."""

    def __init__(self, routes: Mapping[str, Prober], probers: Sequence[Prober]) -> None:
        self._routes = dict(routes)
        self._probers = list(probers)
        vias = {p.via for p in self._probers}
        self.via = vias.pop() if len(vias) == 1 else "+".join(sorted(vias)) or "api"

    def can_probe(self, host: str) -> bool:
        prober = self._routes.get(host)
        return prober is not None and prober.can_probe(host)

    def run(
        self,
        host: str,
        jobs: Mapping[str, Job],
        *,
        concurrency: int,
        on_job: JobCallback,
        gate: str | None = None,
        cancel: threading.Event | None = None,
    ) -> SessionEnd:
        prober = self._routes.get(host)
        if prober is None:
            return SessionEnd(EndKind.FAILED, f"{host}: no vCenter of this run has it")
        return prober.run(host, jobs, concurrency=concurrency, on_job=on_job, gate=gate, cancel=cancel)

    def close(self) -> None:
        for prober in self._probers:
            prober.close()
