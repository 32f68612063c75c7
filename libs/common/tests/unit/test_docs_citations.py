"""Citations stay true: the repository cites only what it holds (docs/README.md).

Every tracked file is read: nothing may cite a file outside the repository (the specification and
the manual the project started from); a docs page is cited as `docs/PAGE.md#section` and both must
exist; every relative Markdown link resolves; every `path::name` pointer in docs/ names a file that
defines `name`.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()
OUTSIDE = re.compile(r"\.\./shared|shared/(?:spec|seed)/|PLATFORM-NOTES|registration-manual-2018")
DOCS_CITATION = re.compile(r"(?<![\w/.\-])docs/([\w\-/]+\.md)(?:#([\w\-]+))?")
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
POINTER = re.compile(r"`([\w./\-]+)::(\w+)`")
PATH = re.compile(r"`((?:libs|services|protos|deploy|bench|tests|scripts|docs|requirements)/[\w./\-]*)`")


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a page's headings (code blocks aside); a repeated heading gets -1, -2..."""
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$", re.sub(r"(?ms)^```.*?^```", "", markdown)):
        base = slug(heading)
        result.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return result


def defines(source: str, name: str) -> bool:
    n = re.escape(name)
    return bool(
        re.search(
            rf"(?m)^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+{n}\b|^{n}[ \t]*(?::[^=\n]*)?="
            rf"|^[ \t]*(?:message|service|enum|rpc)[ \t]+{n}\b",
            source,
        )
    )


@cache
def tracked() -> dict[str, str]:
    """Tracked text files (path → text), this file aside."""
    try:
        names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    texts = {}
    for name in names.decode().split("\0"):
        path = ROOT / name
        if name and name != THIS and path.is_file():
            try:
                texts[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def doc_citation_problems(text: str, page_text) -> list[str]:
    """The `docs/PAGE.md#section` citations in `text` whose page (page_text(page) is None) or section
    is missing."""
    problems = []
    for page, section in DOCS_CITATION.findall(text):
        content = page_text(page)
        if content is None:
            problems.append(f"docs/{page}: no such page")
        elif section and section not in anchors(content):
            problems.append(f"docs/{page}#{section}: no such section")
    return problems


def _page(page: str) -> str | None:
    path = ROOT / "docs" / page
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _line(text: str, match: re.Match) -> int:
    return text.count("\n", 0, match.start()) + 1


def _docs_pages() -> list[str]:
    return sorted(p.name for p in (ROOT / "docs").glob("*.md") if p.name != "README.md")


def test_no_file_cites_anything_outside_the_repository():
    bad = [
        f"{name}:{_line(text, m)}: {m.group(0)}"
        for name, text in tracked().items()
        for m in OUTSIDE.finditer(text)
    ]
    assert not bad, "cite docs/ instead:\n" + "\n".join(bad)


def test_docs_pages_are_cited_with_their_docs_prefix():
    bare = re.compile(r"(?<![\w/.\-])(?:" + "|".join(re.escape(p) for p in _docs_pages()) + r")")
    bad = [
        f"{name}:{_line(text, m)}: {m.group(0)}"
        for name, text in tracked().items()
        if not name.startswith("docs/")
        for m in bare.finditer(text)
    ]
    assert not bad, "write docs/PAGE.md (a bare name meant a page outside the repository):\n" + "\n".join(bad)


def test_every_docs_citation_names_an_existing_page_and_section():
    bad = [f"{name}: {p}" for name, text in tracked().items() for p in doc_citation_problems(text, _page)]
    assert not bad, "\n".join(bad)


def test_every_relative_markdown_link_resolves():
    bad = []
    for name, text in tracked().items():
        if not name.endswith(".md"):
            continue
        for target in MD_LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, section = target.partition("#")
            file = (ROOT / name).parent / path if path else ROOT / name
            if not file.exists() or ROOT not in file.resolve().parents:
                bad.append(f"{name}: {target}: no such file")
            elif file.suffix == ".md" and section and section not in anchors(file.read_text("utf-8")):
                bad.append(f"{name}: {target}: no such section")
    assert not bad, "\n".join(bad)


def test_every_code_pointer_in_the_docs_exists():
    bad = []
    for name, text in tracked().items():
        if not name.startswith("docs/"):
            continue
        for path in PATH.findall(text):
            if not (ROOT / path).exists():
                bad.append(f"{name}: {path}: no such file")
        for path, symbol in POINTER.findall(text):
            file = ROOT / path
            if not file.is_file() or not defines(file.read_text(encoding="utf-8"), symbol):
                bad.append(f"{name}: {path}::{symbol}: not defined there")
    assert not bad, "\n".join(bad)


def test_a_citation_of_a_missing_page_or_section_is_reported():
    pages = {"DOMAIN.md": "# Rules\n\n## The six flows\n\n```\n## not a heading\n```\n"}.get
    text = "see docs/DOMAIN.md#the-six-flows, docs/DOMAIN.md#not-a-heading, docs/GONE.md and docs/DOMAIN.md."
    assert doc_citation_problems(text, pages) == [
        "docs/DOMAIN.md#not-a-heading: no such section",
        "docs/GONE.md: no such page",
    ]


def test_anchors_follow_githubs_rules():
    assert anchors("## Service-to-service calls (gRPC, role `system`)\n## Approve all\n## Approve all\n") == {
        "service-to-service-calls-grpc-role-system",
        "approve-all",
        "approve-all-1",
    }


def test_a_pointer_must_name_a_definition():
    source = "X = 1\nclass Case:\n    def approve(self):\n        skip = 2\n"
    found = [defines(source, n) for n in ("X", "Case", "approve", "skip", "missing")]
    assert found == [True, True, True, False, False]
