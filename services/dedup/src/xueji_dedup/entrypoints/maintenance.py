"""The dedup service's periodic job, run by a province's worker process (and by the one process of
the embedded mode): the national tier's problem events for the province, pulled and republished
(service_layer.national_inbox).

| variable | meaning | default |
|---|---|---|
| XUEJI_DEDUP_PULL_INTERVAL_SECONDS | seconds between pulls of the national's problem events (0: none) | 2 |

Which province: the one the service's own identity speaks for (the national tier answers an empty
province_code with the caller's province); an identity of the nation (the embedded mode's development
identity) pulls every province of the org tree.
"""

from __future__ import annotations

import logging

from xueji_common.config import Seconds, XuejiSettings
from xueji_common.runtime.periodic import PeriodicTask, exclusive
from xueji_dedup.adapters.peers import Peers
from xueji_dedup.service_layer.national_inbox import pull_province

log = logging.getLogger(__name__)


class DedupSettings(XuejiSettings):
    """The service's own settings (xueji_common.config.XuejiSettings)."""

    dedup_pull_interval_seconds: Seconds = 2.0


def pull_interval() -> float:
    return DedupSettings.from_env().dedup_pull_interval_seconds


class NationalEvents:
    """The pull job of one runtime; learns its provinces on its first run."""

    def __init__(self, runtime) -> None:
        self._rt = runtime
        self._peers = Peers(runtime)
        self._provinces: list[str] | None = None

    def provinces(self) -> list[str]:
        if self._provinces is None:
            own, _ = self._peers.national.pull("", 0, 0)
            tree = self._rt.tree
            self._provinces = [own] if own else [u.code for u in tree.children(tree.root.code)]
        return self._provinces

    def run_once(self) -> int:
        with exclusive(self._rt.engine, "dedup:national-problem-events") as mine:
            if not mine:
                return 0  # another replica's turn
            return sum(
                pull_province(self._rt.uow_factory, self._peers.national, p, tree=self._rt.tree)
                for p in self.provinces()
            )


def periodic_tasks(runtime) -> list[PeriodicTask]:
    if runtime.settings.scope != "province":
        return []
    job = NationalEvents(runtime)
    return [PeriodicTask("national-problem-events", pull_interval(), job.run_once)]
