"""The same cases in both topologies (issue 12 §7: production and embedded mode must agree).

A module whose cases must hold in production topology and in embedded mode alike writes, at its
top,

    from tests.e2e.topologies import both_modes
    zj, js = both_modes()

and its tests take `zj` / `js` as usual: each runs once against the production system
(`system_cluster`: separate deployments per province and the nation) and once against
`xueji serve --provinces zj,js` (`embedded_cluster`). The parametrised fixture is conftest's
`two_provinces`; `two_provinces.mode` says which topology a test runs in.
"""

from __future__ import annotations

import pytest
from tests.e2e.actors import Province

SCHOOLS = {"zj": "1330102001", "js": "1320104001"}  # 杭州市上城区胜利小学, 南京市秦淮区夫子庙小学


class TwoProvinces:
    """One topology's `zj` and `js` actors; `mode` is "production" or "embedded"."""

    def __init__(self, mode: str, cluster) -> None:
        self.mode, self.cluster = mode, cluster
        self.zj, self.js = (Province(cluster, p, SCHOOLS[p]) for p in ("zj", "js"))

    def close(self) -> None:
        self.zj.close()
        self.js.close()


def both_modes():
    """Session fixtures `zj` and `js` taken from the parametrised `two_provinces`."""

    def actor(key: str):
        @pytest.fixture(scope="session", name=key)
        def fixture(two_provinces):
            return getattr(two_provinces, key)

        return fixture

    return actor("zj"), actor("js")
