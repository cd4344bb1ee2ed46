#!/usr/bin/env python3
"""Fails when a Markdown file of the repository links to something a clone
does not have: a relative link to a missing file, or an #anchor that names no
heading of its target. Links with a scheme (https:, mailto:) are not
checked: CI has no network. Prints file:line of each broken link.

    scripts/check-links.py
"""
import os
import re
import subprocess
import sys

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def tracked_markdown():
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        check=True, capture_output=True, text=True).stdout
    return [f for f in out.splitlines() if "node_modules/" not in f]


def prose_lines(path):
    """(line number, text) of the lines outside fenced code blocks."""
    in_fence = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if not in_fence:
                yield number, line


def slug(heading):
    """The anchor GitHub gives a heading."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


anchors_cache = {}


def anchors(path):
    if path not in anchors_cache:
        seen = {}
        found = set()
        for _, line in prose_lines(path):
            m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        anchors_cache[path] = found
    return anchors_cache[path]


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    broken = 0
    for md in tracked_markdown():
        for number, line in prose_lines(md):
            for target in LINK.findall(line):
                if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(md), file_part)) if file_part else md
                problem = None
                if not os.path.exists(dest):
                    problem = "no such file"
                elif anchor and dest.endswith(".md") and anchor.lower() not in anchors(dest):
                    problem = f"no heading #{anchor} in {dest}"
                if problem:
                    print(f"links: {md}:{number}: {target}: {problem}")
                    broken += 1
    if broken:
        print(f"links: {broken} broken link(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
