#!/usr/bin/env bash
# Repoint citations of the notes outside the repository (../shared/docs/*.md, bare DESIGN.md / METHOD.md,
# SYNTHETIC-NOTES, VSCODE-TESTING.md) to the project's own docs/METHOD.md and docs/DESIGN.md (issue 14 item 7).
# References to ../shared/data (test data) are left alone. Prints every line it changes as
#   path:line
#   - old
#   + new
# and a summary. Idempotent: a second run changes nothing.
#
# Usage: scripts/repoint-doc-citations.sh [--dry-run] [ROOT]     (ROOT: default, this script's repository)
# Files: those git tracks under ROOT, or every text file when ROOT is not a git checkout (e.g. an archive).
set -euo pipefail

dry_run=0
if [[ "${1:-}" == "--dry-run" ]]; then dry_run=1; shift; fi
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

exec python3 - "$root" "$dry_run" <<'PY'
import os
import re
import subprocess
import sys
from pathlib import Path

root, dry_run = Path(sys.argv[1]).resolve(), sys.argv[2] == "1"
# Files that spell the old citations on purpose: this script and the check that forbids them.
SKIP = {"scripts/repoint-doc-citations.sh", "engine/tests/test_docs_standalone.py"}
PRUNE = {".git", "node_modules", ".venv", ".code-server", "dist", "out", "test-results", "runs"}

DESIGN_SYNTH = "DESIGN.md#the-synthetic-world"
DESIGN_TESTING = "DESIGN.md#testing-in-a-real-vs-code"
NOT_PATH = r"(?<![\w/.#-])(?<!\]\()"   # a bare name: not part of a path, an anchor or a link target


def rules(in_docs: bool):
    """(pattern, replacement) in order. Inside docs/ the targets are siblings, written as Markdown links;
    elsewhere they are repo-relative paths. Replacements hold no quotes (some sit inside JSON or shell strings)."""
    if in_docs:
        link = lambda target: f"[{target.split('#')[0]}]({target})"  # noqa: E731
        method, design, synth, testing = (link("METHOD.md"), link("DESIGN.md"), link(DESIGN_SYNTH),
                                          link(DESIGN_TESTING))
    else:
        method, design, synth, testing = ("docs/METHOD.md", "docs/DESIGN.md", "docs/" + DESIGN_SYNTH,
                                          "docs/" + DESIGN_TESTING)
    path = r"`?(?:\.\./)*shared/docs/"
    out = [
        (re.compile(path + r"METHOD\.md`?"), method),
        (re.compile(path + r"DESIGN\.md`?"), design),
        (re.compile(path + r"VSCODE-TESTING\.md`?"), testing),
        (re.compile(path + r"SYNTHETIC-NOTES\.md`?"), synth),
        (re.compile(NOT_PATH + r"VSCODE-TESTING\.md"), testing),
        (re.compile(NOT_PATH + r"SYNTHETIC-NOTES(?:\.md)?"), synth),
        # the pitfalls are numbered 7.1-7.20 in docs/METHOD.md: "§7.1 item 6" is §7.6
        (re.compile(r"METHOD(\.md)? §7\.1 item (\d+)"), r"METHOD\1 §7.\2"),
    ]
    if not in_docs:  # inside docs/ a bare DESIGN.md / METHOD.md already names the sibling file
        out += [(re.compile(NOT_PATH + r"DESIGN\.md"), design), (re.compile(NOT_PATH + r"METHOD\.md"), method)]
    return out


def candidate_files():
    try:
        listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], check=True, capture_output=True).stdout
        names = [n for n in listed.decode().split("\0") if n]
    except (subprocess.CalledProcessError, FileNotFoundError):
        names = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in PRUNE]
            names += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames]
    return sorted(n for n in names if n not in SKIP and (root / n).is_file())


changed_files, changed_lines = 0, 0
for name in candidate_files():
    raw = (root / name).read_bytes()
    if b"\0" in raw[:8192]:
        continue  # binary
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        continue
    file_rules = rules(name.startswith("docs/"))
    lines = text.splitlines(keepends=True)
    new_lines = []
    for number, line in enumerate(lines, 1):
        new = line
        for pattern, replacement in file_rules:
            new = pattern.sub(replacement, new)
        if new != line:
            changed_lines += 1
            print(f"{name}:{number}\n  - {line.rstrip()}\n  + {new.rstrip()}")
        new_lines.append(new)
    if new_lines != lines:
        changed_files += 1
        if not dry_run:
            (root / name).write_text("".join(new_lines), encoding="utf-8")

verb = "would change" if dry_run else "changed"
print(f"repoint-doc-citations: {verb} {changed_lines} line(s) in {changed_files} file(s) under {root}")
PY
