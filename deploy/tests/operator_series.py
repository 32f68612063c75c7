"""Series as prometheus-operator's Prometheus stores them, from what a pod exposes on /metrics.

A ServiceMonitor endpoint becomes a scrape job whose targets carry the operator's labels (job and
service = the Kubernetes Service's name, namespace, pod, container, endpoint = the port's name,
instance), then the endpoint's relabelings (here: `replace` from pod labels). At scrape time a label
the app sets that the target also has is renamed `exported_<name>`, unless `honorLabels` is true.
`up` carries the target labels only. Enough of Prometheus to check that our queries survive it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Pod:
    namespace: str
    kube_service: str  # the Kubernetes Service the ServiceMonitor selected it by
    name: str
    labels: dict
    up: str = "1x40"  # promtool values of `up`
    exposed: list = field(default_factory=list)  # [(metric name, {labels}, promtool values)]


def _meta_name(label: str) -> str:
    return "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label)


def target_labels(endpoint: dict, pod: Pod) -> dict:
    labels = {
        "job": pod.kube_service,
        "namespace": pod.namespace,
        "service": pod.kube_service,
        "pod": pod.name,
        "container": "app",
        "endpoint": endpoint["port"],
        "instance": f"{pod.name}:9464",
    }
    meta = {_meta_name(k): v for k, v in pod.labels.items()}
    for rule in endpoint.get("relabelings", []):
        if rule.get("action", "replace").lower() != "replace":
            raise NotImplementedError(f"relabel action {rule['action']}")
        source = rule.get("separator", ";").join(
            meta.get(s, labels.get(s, "")) for s in rule.get("sourceLabels", [])
        )
        match = re.fullmatch(rule.get("regex", "(.*)"), source)
        if not match:
            continue
        value = re.sub(
            r"\$\{?(\d+)\}?",
            lambda m, match=match: match.group(int(m.group(1))) or "",
            rule.get("replacement", "$1"),
        )
        if value:
            labels[rule["targetLabel"]] = value
        else:
            labels.pop(rule["targetLabel"], None)
    return labels


def scraped(metric_labels: dict, target: dict, honor_labels: bool) -> dict:
    out = dict(metric_labels)
    for name, value in target.items():
        if name in out:
            if honor_labels:
                continue
            out[f"exported_{name}"] = out[name]
        out[name] = value
    return out


def _series(name: str, labels: dict) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def input_series(service_monitor: dict, pods: list[Pod]) -> list[dict]:
    """promtool `input_series` of every pod's exposed metrics and `up`, as stored."""
    [endpoint] = service_monitor["spec"]["endpoints"]
    honor = bool(endpoint.get("honorLabels", False))
    out = []
    for pod in pods:
        target = target_labels(endpoint, pod)
        out.append({"series": _series("up", target), "values": pod.up})
        for name, labels, values in pod.exposed:
            out.append({"series": _series(name, scraped(labels, target, honor)), "values": values})
    return out
