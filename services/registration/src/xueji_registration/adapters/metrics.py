"""Registration's domain metrics, in prometheus_client's default registry beside xueji_common.metrics
(the same /metrics endpoint of the gRPC server process). The dashboard reads
`sum by (state) (xueji_registration_applications{xueji_service=...})` (deploy/tools/gen_dashboard.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily

from xueji_registration.adapters.repository import ApplicationRepository
from xueji_registration.domain.model import ApplicationState

log = logging.getLogger(__name__)
NAME = "xueji_registration_applications"
HELP = "Registration applications in the database, by state (counted at most every 30 s, on scrape)"


class ApplicationsByState:
    """A prometheus_client collector: the applications per state, counted in the database when
    /metrics is scraped, at most once per `ttl` seconds (scrapes in between, and from several
    Prometheus servers, get the counted values). Every state is exported, 0 when none is in it. When
    the count fails (database down, over its 5 s statement timeout) the last counts stay."""

    def __init__(
        self,
        session_factory=None,
        *,
        service: str = "registration",
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_factory, self.service, self.ttl, self._clock = session_factory, service, ttl, clock
        self._lock = threading.Lock()
        self._counts: dict[str, int] | None = None
        self._counted_at = float("-inf")

    def watch(self, session_factory) -> None:
        """Count in this database from now on (the process's registration database)."""
        with self._lock:
            self.session_factory, self._counts, self._counted_at = session_factory, None, float("-inf")

    def describe(self) -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(NAME, HELP, labels=["xueji_service", "state"])
        ]  # registering does not count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=["xueji_service", "state"])
        counts = self.counts()
        if counts is not None:
            for state in ApplicationState:
                family.add_metric([self.service, state.value], counts.get(state.value, 0))
        yield family

    def counts(self) -> dict[str, int] | None:
        with self._lock:
            if self.session_factory is not None and self._clock() - self._counted_at >= self.ttl:
                self._counted_at = self._clock()  # a failing database is asked again only after ttl
                try:
                    with self.session_factory() as session:
                        self._counts = ApplicationRepository(session).count_by_state()
                except Exception:
                    log.warning("counting applications by state failed; the last counts stay", exc_info=True)
            return self._counts


APPLICATIONS = ApplicationsByState()
_registered = False


def export_applications_by_state(session_factory) -> None:
    """Export the gauge from this process, counted in `session_factory`'s database (registered once;
    a later call, as a test's new runtime makes, points it at the new database)."""
    global _registered
    APPLICATIONS.watch(session_factory)
    if not _registered:
        REGISTRY.register(APPLICATIONS)
        _registered = True
