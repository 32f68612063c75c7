"""The accounts use cases' dependencies, built once per runtime."""
from __future__ import annotations

from xueji_accounts.adapters.hasher import Argon2Hasher
from xueji_accounts.config import AccountsSettings
from xueji_accounts.service_layer.context import Accounts


def accounts_of(runtime) -> Accounts:
    built = getattr(runtime, "_accounts", None)
    if built is None:
        settings = AccountsSettings.from_env()
        if runtime.tokens.signer is None:
            raise RuntimeError("the accounts service needs XUEJI_SIGNING_KEY_FILE in production mode")
        built = Accounts(runtime.uow_factory, Argon2Hasher(settings), runtime.tokens.signer, settings, runtime.tree)
        runtime._accounts = built
    return built
