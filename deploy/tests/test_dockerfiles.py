"""Each service's Dockerfile: multi-stage on a pinned base, only its own package, generated protobuf
code built in, non-root, a health check, and entrypoints that exist as the package's console scripts.
Docker cannot build here; these checks read the files (build commands: deploy/OPERATIONS.md)."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import DEPLOY

ROOT = DEPLOY.parent
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
PINNED = re.compile(
    r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|^[\w./-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$"
)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(params=SERVICES)
def service(request):
    return request.param


def parsed(service):
    return instructions((ROOT / "services" / service / "Dockerfile").read_text())


def scripts(service):
    return set(
        tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())["project"]["scripts"]
    )


def test_every_service_has_a_dockerfile():
    assert SERVICES == [
        "accounts",
        "console",
        "dedup",
        "national-query",
        "registration",
        "review",
        "special-ed",
    ]
    for s in SERVICES:
        assert (ROOT / "services" / s / "Dockerfile").is_file()


def test_base_image_is_pinned_and_build_is_multi_stage(service):
    ins = parsed(service)
    args = dict(a.split("=", 1) for w, a in ins if w == "ARG" and "=" in a)
    froms = [a.split()[0] for w, a in ins if w == "FROM"]
    assert len(froms) >= 2, "multi-stage: a build stage and a runtime stage"
    for image in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert PINNED.match(image), f"base not pinned to an exact version or digest: {image}"
        assert ":latest" not in image


def test_runtime_user_is_not_root(service):
    ins = parsed(service)
    last_from = max(i for i, (w, _) in enumerate(ins) if w == "FROM")
    users = [a for w, a in ins[last_from:] if w == "USER"]
    assert users, "the runtime stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and (not user.isdigit() or int(user) >= 1000)


def test_entrypoints_exist_as_console_scripts(service):
    text = (ROOT / "services" / service / "Dockerfile").read_text()
    ins = parsed(service)
    [entrypoint] = [a for w, a in ins if w == "ENTRYPOINT"]
    assert entrypoint == f'["xueji-{service}"]'
    assert f"xueji-{service}" in scripts(service)
    if service not in ("accounts", "console"):  # no event handlers, no worker
        assert f"xueji-{service}-worker" in scripts(service)
        assert f"xueji-{service}-worker" in text  # documented worker entrypoint
    # Commands the image runs or documents: `--entrypoint X`, and programs invoked in RUN steps.
    commands = re.findall(r"--entrypoint\s+(xueji-[a-z-]+)", text)
    commands += re.findall(r"&&\s+(xueji-[a-z-]+)\s", text)
    assert commands
    for name in commands:
        assert name in scripts(service), name


def test_builds_only_its_own_service_with_generated_protobuf_code(service):
    ins = parsed(service)
    copies = [a.split()[0] for w, a in ins if w == "COPY" and "--from" not in a]
    copied_services = {c.split("/")[1] for c in copies if c.startswith("services/")}
    assert copied_services == {service}
    assert "libs/common" in copies and "protos" in copies
    runs = " ".join(a for w, a in ins if w == "RUN")
    assert "scripts/gen_protos.py" in runs
    assert f"./services/{service}" in runs and "./libs/common" in runs


def test_health_check_and_read_only_friendly_runtime(service):
    ins = parsed(service)
    assert any(w == "HEALTHCHECK" and "CMD" in a for w, a in ins)
    env = " ".join(a for w, a in ins if w == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "HOME=/tmp" in env and "XUEJI_MODE=production" in env
