"""Check prometheus-operator objects against their CRD models (cloudcoil), strictly.

The pydantic models ignore unknown fields, so the check validates, dumps the model back and reports
every key of the input that the model did not keep: an unknown field fails like a strict API server.
"""

from __future__ import annotations

from cloudcoil.models.prometheus_operator import v1

MODELS = {"ServiceMonitor": v1.ServiceMonitor, "PrometheusRule": v1.PrometheusRule}


def _dropped(given, kept, path: str) -> list[str]:
    if isinstance(given, dict):
        if not isinstance(kept, dict):
            return [path or "."]
        missing = [f"{path}.{k}".lstrip(".") for k in given if k not in kept]
        return missing + [m for k in given if k in kept for m in _dropped(given[k], kept[k], f"{path}.{k}")]
    if isinstance(given, list) and isinstance(kept, list):
        return [m for i, (g, k) in enumerate(zip(given, kept)) for m in _dropped(g, k, f"{path}[{i}]")]
    return []


def check_prometheus_operator_object(doc: dict) -> None:
    model = MODELS[doc["kind"]]
    parsed = model.model_validate(doc)  # raises on wrong types and missing required fields
    kept = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    unknown = _dropped(doc, kept, "")
    if unknown:
        raise ValueError(f"{doc['kind']} has fields unknown to its CRD: {', '.join(unknown)}")
