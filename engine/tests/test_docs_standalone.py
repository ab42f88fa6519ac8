"""The project's docs stand alone (issue 14 item 7): citations point into the repository and land somewhere.

- every `METHOD §x` (also `METHOD.md §x`, chains like `§1.3–1.4, §2.2`) names a numbered heading of
  docs/METHOD.md;
- every `DESIGN.md "Heading"` names a heading or bold item of docs/DESIGN.md, every `DESIGN.md#anchor` a
  heading's anchor;
- no file cites the notes outside the repository (`../shared/docs/...`, SYNTHETIC-NOTES, VSCODE-TESTING.md);
  `../shared/data` (test data) is fine.

WSSS_DOCS_ROOT checks another tree (e.g. an unpacked `git archive`) instead of this checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path


ROOT = Path(os.environ.get("WSSS_DOCS_ROOT") or Path(__file__).resolve().parents[2])
# Files that spell the old citations on purpose.
SKIP = {"engine/tests/test_docs_standalone.py"}
PRUNE = {".git", "node_modules", ".venv", ".code-server", "dist", "out", "test-results", "runs", "__pycache__"}
TEXT_SUFFIXES = {
    ".py",
    ".ts",
    ".mjs",
    ".js",
    ".json",
    ".md",
    ".sh",
    ".css",
    ".html",
    ".toml",
    ".txt",
    ".yml",
    ".yaml",
    "",
}

SECTION = r"§\d+(?:\.\d+)*\.?(?:[–-]\d+(?:\.\d+)*)?"
METHOD_CITATION = re.compile(rf"METHOD(?:\.md)? ({SECTION}(?:(?:, | and |/){SECTION})*)")
DESIGN_HEADING_CITATION = re.compile(r'DESIGN\.md,? "([^"]+)"')
DESIGN_ANCHOR_CITATION = re.compile(r"DESIGN\.md#([\w-]+)")
OUTSIDE_NOTES = re.compile(r"shared/docs/|SYNTHETIC-NOTES|VSCODE-TESTING")


def tracked_files() -> list[str]:
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True).stdout
        names = [n for n in out.decode().split("\0") if n]
    else:
        names = []
        for dirpath, dirnames, filenames in os.walk(ROOT):
            dirnames[:] = [d for d in dirnames if d not in PRUNE]
            names += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames]
    return sorted(n for n in names if n not in SKIP and Path(n).suffix in TEXT_SUFFIXES and (ROOT / n).is_file())


def lines_of_files():
    """(path, line number, line) over every tracked text file."""
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            yield name, number, line


def method_sections() -> set[str]:
    text = (ROOT / "docs" / "METHOD.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,4} (\d+(?:\.\d+)*)[.\s]", text, flags=re.M))


def slug(heading: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def design_targets() -> tuple[set[str], set[str]]:
    """(heading and bold-item texts, heading anchors) of docs/DESIGN.md."""
    text = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{1,4} (.+?)\s*$", text, flags=re.M)
    bold = re.findall(r"\*\*([^*]+?)\*\*", text)
    return {h.lower() for h in headings + bold}, {slug(h) for h in headings}


def cited_sections(chain: str) -> list[str]:
    """'§1.3–1.4, §2.2.' -> ['1.3', '1.4', '2.2'] (both ends of a range; a sentence's full stop dropped)."""
    out = []
    for item in re.findall(SECTION, chain):
        out += [part.rstrip(".") for part in re.split(r"[–-]", item.lstrip("§"))]
    return out


def test_section_parsing():
    assert cited_sections("§1.3–1.4, §2.2-2.3/§7.9 and §9.") == ["1.3", "1.4", "2.2", "2.3", "7.9", "9"]
    assert slug("Testing in a real VS Code") == "testing-in-a-real-vs-code"


def test_every_cited_method_section_exists():
    sections = method_sections()
    assert {"0", "1.1", "1.5", "2.2", "3.1", "4.3", "6", "7.14", "7.20", "9.7"} <= sections
    missing = [
        f"{name}:{number}: §{s}"
        for name, number, line in lines_of_files()
        for match in METHOD_CITATION.finditer(line)
        for s in cited_sections(match.group(1))
        if s not in sections
    ]
    assert not missing, "cited METHOD sections that docs/METHOD.md does not have:\n" + "\n".join(missing)


def test_every_cited_design_section_exists():
    texts, anchors = design_targets()
    missing = [
        f"{name}:{number}: {m.group(0)}"
        for name, number, line in lines_of_files()
        for m in DESIGN_HEADING_CITATION.finditer(line)
        if m.group(1).lower() not in texts
    ]
    missing += [
        f"{name}:{number}: {m.group(0)}"
        for name, number, line in lines_of_files()
        for m in DESIGN_ANCHOR_CITATION.finditer(line)
        if m.group(1) not in anchors
    ]
    assert not missing, "cited DESIGN.md sections that docs/DESIGN.md does not have:\n" + "\n".join(missing)


def test_no_citation_of_notes_outside_the_repository():
    found = [
        f"{name}:{number}: {line.strip()[:120]}"
        for name, number, line in lines_of_files()
        if OUTSIDE_NOTES.search(line)
    ]
    assert not found, (
        "citations of notes outside the repository (cite docs/METHOD.md or docs/DESIGN.md):\n" + "\n".join(found)
    )
