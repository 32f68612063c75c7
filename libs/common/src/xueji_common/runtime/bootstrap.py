"""Wiring one service: database, unit of work, relay, peers. The composition root of a service."""

from __future__ import annotations

import functools
import logging
import threading

import grpc
from sqlalchemy.orm import sessionmaker

from xueji_common import tracing
from xueji_common.config import Settings
from xueji_common.db import migrations
from xueji_common.db.encrypted import bind_hash_key, bind_keyring
from xueji_common.db.engine import ensure_database, make_engine
from xueji_common.grpcserver import client
from xueji_common.messaging.consumer import EventConsumer
from xueji_common.messaging.relay import OutboxRelay, Publisher
from xueji_common.runtime.spec import ServiceSpec

log = logging.getLogger(__name__)


class ServiceRuntime:
    """Everything a service's handlers and servicers need, built once per process."""

    def __init__(self, spec: ServiceSpec, settings: Settings, database_url: str | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.settings = settings
        self.database_url = database_url or settings.database_url_for(spec.name)
        ensure_database(self.database_url)
        self.engine = make_engine(self.database_url)
        tracing.instrument_engine(self.engine)  # a span per statement, with tracing on
        bind_keyring(self.engine, settings.data_keyring())  # encrypted columns (db.encrypted)
        bind_hash_key(self.engine, settings.hash_key)  # hashes stored beside them
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.tokens = settings.token_service(self.tree, sign=spec.signs_tokens)
        issue = None
        if self.tokens.signer is None and settings.service_client_id:
            issue = client.accounts_issuer(
                lambda: self.channel("accounts"), settings.service_client_id, settings.service_client_secret
            )
        self.caller = client.ServiceCaller(self.tokens, spec.name, issue)
        self.relay: OutboxRelay | None = None
        self._channels: dict[str, grpc.Channel] = {}
        self._lock = threading.Lock()
        self._on_close: list = []
        self.uow_factory = spec.make_uow(self)

    def migrate(self) -> None:
        migrations.upgrade(self.engine, self.spec.versions_dir, self.spec.metadata)

    @functools.cached_property
    def tree(self):
        return org_tree(self.settings)

    def after_commit(self) -> None:
        """Called by units of work that wrote events: publish them now rather than at the next poll."""
        if self.relay is not None:
            self.relay.wake()

    def attach_relay(self, publisher: Publisher) -> OutboxRelay:
        self.relay = OutboxRelay(
            self.name,
            self.session_factory,
            self.spec.outbox,
            publisher,
            interval=self.settings.relay_interval,
            listen_url=self.database_url if self.engine.dialect.name == "postgresql" else None,
        )
        return self.relay

    def consumers(self) -> list[EventConsumer]:
        return [EventConsumer(self.name, s, self.uow_factory) for s in self.spec.subscriptions]

    def channel(self, peer: str) -> grpc.Channel:
        """A shared channel to another service (by name), at its configured address."""
        with self._lock:
            if peer not in self._channels:
                self._channels[peer] = client.channel(self.settings.peer(peer), self.settings.tls)
            return self._channels[peer]

    def on_close(self, callback) -> None:
        """Run `callback` when the process stops, before the engine goes (a servicer that buffers
        writes flushes them there, e.g. national-query's lookup audit)."""
        self._on_close.append(callback)

    def close(self) -> None:
        for callback in self._on_close:
            try:
                callback()
            except Exception:
                log.exception("closing callback failed", extra={"fields": {"service": self.name}})
        self._on_close.clear()
        if self.relay is not None:
            self.relay.stop()
        for ch in self._channels.values():
            ch.close()
        self.engine.dispose()


def org_tree(settings: Settings):
    """The org-unit tree: XUEJI_ORG_UNITS_FILE, else the packaged demo tree."""
    from xueji_common.orgunits import OrgTree, load_default_tree

    if settings.org_units_file:
        return OrgTree.from_csv(settings.org_units_file)
    return load_default_tree()
