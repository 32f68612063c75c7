"""The registration service's own settings (XUEJI_* environment variables, beside the shared ones),
each declared once below (xueji_common.config.XuejiSettings).

| variable | meaning | default |
|---|---|---|
| XUEJI_FILES_DIR | where uploaded files' bytes live (a volume in the chart) | `<data dir>/files` |
| XUEJI_IMPORT_MEMORY_MB | what one Excel import holds at most, besides the upload (>= 64) | 256 |
| XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS | seconds between rematch runs (0: none) | 300 |
| XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS | seconds between purge runs (0: none) | 3600 |
| XUEJI_UPLOAD_MAX_AGE_HOURS | an unattached upload older than this is purged | 24 |
| XUEJI_IMPORT_PURGE_INTERVAL_SECONDS | seconds between import purges (0: none) | 3600 |
| XUEJI_IMPORT_RETENTION_DAYS | an import (its report, its failed rows' cells) older than this is purged | 7 |
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from xueji_common.config import Seconds, XuejiSettings


class RegistrationSettings(XuejiSettings):
    files_dir: str = ""  # empty: <data dir>/files (adapters.files.files_dir)
    import_memory_mb: int | None = Field(None, ge=64)  # None: Limits' own (adapters.excel.reader)
    # The periodic jobs (entrypoints.maintenance).
    preschool_rematch_interval_seconds: Seconds = 300.0
    upload_purge_interval_seconds: Seconds = 3600.0
    upload_max_age_hours: Seconds = 24.0
    import_purge_interval_seconds: Seconds = 3600.0
    import_retention_days: Seconds = 7.0

    @property
    def upload_max_age(self) -> dt.timedelta:
        return dt.timedelta(hours=self.upload_max_age_hours)

    @property
    def import_retention(self) -> dt.timedelta:
        return dt.timedelta(days=self.import_retention_days)
