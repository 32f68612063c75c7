"""The Excel methods of the Registrations service: templates, import, import reports, failed rows.

A mixin of RegistrationsServicer (which gives it `self._rt`, the service runtime).
"""
from __future__ import annotations


class ImportMethods:
    """DownloadTemplate, ImportApplications, GetImportReport, DownloadFailedRows (issue #3)."""
