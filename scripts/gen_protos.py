"""Generate the Python code for protos/ into libs/common/src/xueji (never edited by hand).

Runs grpc_tools.protoc for every .proto under protos/, writing messages, stubs and type stubs.
Regenerates only when a .proto is newer than the generated tree.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "libs" / "common" / "src"
GENERATED = OUT / "xueji"
STAMP = GENERATED / ".generated"


def needs_generation(sources: list[Path]) -> bool:
    if not STAMP.exists():
        return True
    built = STAMP.stat().st_mtime
    return any(p.stat().st_mtime > built for p in sources) or STAMP.read_text() != _listing(sources)


def _listing(sources: list[Path]) -> str:
    return "\n".join(str(p.relative_to(PROTOS)) for p in sources)


def main() -> int:
    sources = sorted(PROTOS.rglob("*.proto"))
    if not needs_generation(sources):
        return 0
    shutil.rmtree(GENERATED, ignore_errors=True)
    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *[str(p) for p in sources],
    ]
    if protoc.main(args) != 0:
        print("gen_protos: protoc failed", file=sys.stderr)
        return 1
    for folder in [GENERATED, *[d for d in GENERATED.rglob("*") if d.is_dir()]]:
        (folder / "__init__.py").touch()
    STAMP.write_text(_listing(sources))
    print(f"gen_protos: generated {len(sources)} files into {GENERATED.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
