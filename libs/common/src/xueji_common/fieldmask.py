"""The update_mask of every Update method (AIP-134): one rule for all services (docs/API.md).

The mask is required. It names the fields to change, relative to the resource; fields it does not
name are left as they are, whatever the request carries in them. "*" alone names every updatable
field (a full replace of them). An empty mask, "*" mixed with other paths, or a path the method does
not update is INVALID_ARGUMENT naming update_mask, before anything is read or written. Requiring the
mask (rather than reading an empty one as "every populated field") keeps an omitted mask from
silently blanking or skipping a field whose new value happens to be the default (empty, 0, false).
"""

from __future__ import annotations

from collections.abc import Collection

from xueji_common.errors import FieldViolation, InvalidArgument

FULL_REPLACE = "*"


def paths(
    mask, updatable: Collection[str], *, full: Collection[str] | None = None, prefix: str = ""
) -> list[str]:
    """The mask's paths in order, each once, without `prefix` (a path may name the resource field,
    e.g. "info.degree"); "*" is `full` (default: every updatable path)."""
    given = list(mask.paths)
    if not given:
        raise InvalidArgument(
            FieldViolation("update_mask", "请在 update_mask 中指明要修改的字段（“*”表示全部）")
        )
    if FULL_REPLACE in given:
        if len(given) > 1:
            raise InvalidArgument(
                FieldViolation("update_mask", "“*”表示修改全部字段，不能与其他字段同时指定")
            )
        return list(full if full is not None else updatable)
    chosen: list[str] = []
    refused = []
    for path in given:
        name = path.removeprefix(prefix) if prefix else path
        if name not in updatable:
            refused.append(FieldViolation("update_mask", f"不存在或不可修改的字段：{path[:100]}"))
        elif name not in chosen:
            chosen.append(name)
    if refused:
        raise InvalidArgument(refused)
    return chosen
