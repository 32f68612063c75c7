"""The accounts use cases' dependencies, built once per runtime."""

from __future__ import annotations

from xueji_accounts.adapters.hasher import Argon2Hasher
from xueji_accounts.config import AccountsSettings
from xueji_accounts.service_layer.context import Accounts


def accounts_of(runtime) -> Accounts:
    built = getattr(runtime, "_accounts", None)
    if built is None:
        settings = AccountsSettings.from_env()
        # runtime.tokens mints with the signing key; without one (the migration and create-admin
        # Jobs mount none) only minting fails, and `serve` refuses to start (jwks_http.start).
        built = Accounts(runtime.uow_factory, Argon2Hasher(settings), runtime.tokens, settings, runtime.tree)
        runtime._accounts = built
    return built
