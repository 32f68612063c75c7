"""Every value the chart sets for a XUEJI_* variable is one the services' settings accept (types and
bounds of the pydantic-settings classes, docs/ARCHITECTURE.md#configuration), and every variable it
sets is one of theirs: a typo in the values would otherwise be ignored silently."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from conftest import PROFILE_VALUES
from pydantic import ValidationError

from xueji_accounts.config import AccountsSettings
from xueji_common.config import PEER_PREFIX, Settings, TlsConfig, settings_problems
from xueji_console.config import ConsoleSettings
from xueji_dedup.entrypoints.maintenance import DedupSettings
from xueji_national_query.config import NationalQuerySettings
from xueji_registration.config import RegistrationSettings

SETTINGS = (
    Settings,
    TlsConfig,
    AccountsSettings,
    ConsoleSettings,
    DedupSettings,
    NationalQuerySettings,
    RegistrationSettings,
)


def known_variables() -> set[str]:
    return {
        cls.variable(name)
        for cls in SETTINGS
        for name, field in cls.model_fields.items()
        if field.json_schema_extra is None  # not `not_from_env` (nested settings, peers)
    }


def container_settings(docs):
    """(container name, {variable: value}) of every Xueji container: its ConfigMaps and plain values
    (values from Secrets are the operator's, not the chart's)."""
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job", "Pod"):
            continue
        spec = doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            env = {}
            for source in container.get("envFrom", []):
                env |= maps.get(source.get("configMapRef", {}).get("name"), {})
            env |= {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
            env = {k: str(v) for k, v in env.items() if k.startswith("XUEJI_")}
            if env:
                yield f"{doc['metadata']['name']}/{container['name']}", env


def chart_problems(docs) -> list[str]:
    known, found = known_variables(), []
    for container, env in container_settings(docs):
        unknown = {v for v in env if v not in known and not v.startswith(PEER_PREFIX)}
        found += [f"{container}: {v} is no setting of the services" for v in sorted(unknown)]
        with mock.patch.dict(os.environ, env, clear=True):
            for cls in SETTINGS:
                try:
                    cls()
                except ValidationError as exc:
                    found.append(f"{container}: {settings_problems(exc)}")
    return found


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_the_charts_settings_are_accepted_by_the_services(rendered, profile):
    assert list(container_settings(rendered[profile]))
    assert chart_problems(rendered[profile]) == []


def test_a_bad_or_misspelt_setting_in_the_values_is_caught(helm_cli):
    docs = helm_cli.render(
        PROFILE_VALUES["province"],
        "--set",
        "services.registration.env.XUEJI_UPLOAD_MAX_AGE_HOURS=soon",
        "--set",
        "services.registration.env.XUEJI_UPLOAD_MAX_AGE_HOUR=48",
    )
    found = "\n".join(chart_problems(docs))
    assert "XUEJI_UPLOAD_MAX_AGE_HOURS: Input should be a valid number" in found
    assert "XUEJI_UPLOAD_MAX_AGE_HOUR is no setting of the services" in found
