"""Running a service's Alembic migrations on its database (PostgreSQL or SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

ENV_DIR = Path(__file__).parent / "alembic"


def alembic_config(versions_dir: Path, metadata: MetaData | None = None, url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENV_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions_dir))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["target_metadata"] = metadata
    return config


def upgrade(engine: Engine, versions_dir: Path, metadata: MetaData, revision: str = "heads") -> None:
    """Upgrade to every head: parallel branches of work may add revisions side by side until merged."""
    config = alembic_config(versions_dir, metadata)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_heads(engine: Engine) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()
