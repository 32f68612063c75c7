"""The national tier's document checks outside the unit of work (service_layer.unit_of_work.HoldingsReader):
one indexed statement on an autocommit engine (adapters.holdings_query, adapters.holdings_batch)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from xueji_dedup.adapters import holdings_batch, holdings_query
from xueji_dedup.domain.checks import Holding


class SqlHoldingsReader:
    def __init__(self, engine: Engine) -> None:
        self._engine = holdings_query.read_engine(engine)

    def holdings(
        self, document_type: str, document_hash: str, now: dt.datetime, except_application: str = ""
    ) -> list[Holding]:
        return holdings_query.holdings(self._engine, document_type, document_hash, now, except_application)

    def holdings_of_each(
        self, documents: list[tuple[str, str]], now: dt.datetime
    ) -> dict[tuple[str, str], list[Holding]]:
        return holdings_batch.holdings_of_each(self._engine, documents, now)
