#!/usr/bin/env python3
"""Keeps the code in the docs compiled: fails when a snippet in the Markdown differs from the
region of the source file it quotes.

A snippet in docs/*.md or README.md is an HTML comment naming a file and a region, then a
fenced code block:

    <!-- snippet: examples/tutorial/main.cpp [tutorial-handler] -->
    ```cpp
    ...the lines between the two `// [tutorial-handler]` marker lines, dedented...
    ```

The file must be one the build compiles (under examples/ or docs/snippets/). In docs/*.md
every ```cpp block must be such a snippet, so no C++ there escapes the compiler.

    check_snippets.py SOURCE_DIR            check (the ctest test docs.snippets)
    check_snippets.py SOURCE_DIR --update   rewrite the blocks from the sources
"""
import difflib
import pathlib
import re
import sys

SNIPPET = re.compile(r"^<!-- snippet: (\S+) \[([\w.-]+)\] -->$")
MARKER = re.compile(r"^\s*// \[([\w.-]+)\]\s*$")
COMPILED_DIRS = ("examples/", "docs/snippets/")


def region(source_dir, path, name):
    """The lines between the two `// [name]` markers of `path`, other markers left out,
    dedented."""
    if not path.startswith(COMPILED_DIRS):
        raise ValueError(f"{path} is not in a compiled directory ({', '.join(COMPILED_DIRS)})")
    lines = (source_dir / path).read_text().split("\n")
    marks = [i for i, line in enumerate(lines) if (m := MARKER.match(line)) and m[1] == name]
    if len(marks) != 2:
        raise ValueError(f"{path} has {len(marks)} `// [{name}]` markers, not 2")
    body = [line for line in lines[marks[0] + 1:marks[1]] if not MARKER.match(line)]
    indent = min((len(l) - len(l.lstrip()) for l in body if l.strip()), default=0)
    return [l[indent:] for l in body]


def check(source_dir, doc, update):
    """Returns the problems in one Markdown file (rewriting its snippets with `update`)."""
    problems = []
    lines = doc.read_text().split("\n")
    rel = doc.relative_to(source_dir)
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = SNIPPET.match(line.strip())
        if m:
            fence = i + 1
            if fence >= len(lines) or not lines[fence].startswith("```"):
                problems.append(f"{rel}:{i + 1}: a snippet comment must be followed by a fence")
                i += 1
                continue
            end = next((j for j in range(fence + 1, len(lines)) if lines[j] == "```"), None)
            if end is None:
                problems.append(f"{rel}:{fence + 1}: the fenced block never ends")
                break
            try:
                want = region(source_dir, m[1], m[2])
            except (OSError, ValueError) as e:
                problems.append(f"{rel}:{i + 1}: {e}")
                want = lines[fence + 1:end]
            have = lines[fence + 1:end]
            if have != want:
                problems.append(f"{rel}:{fence + 1}: differs from {m[1]} [{m[2]}]:\n" + "\n".join(
                    difflib.unified_diff(have, want, "docs", m[1], lineterm="")))
            out.append(lines[fence])
            out.extend(want)
            out.append("```")
            i = end + 1
            continue
        if line.startswith("```cpp") and doc.parent.name == "docs":
            problems.append(f"{rel}:{i + 1}: a ```cpp block that is not a snippet of a compiled "
                            "file")
        i += 1
    if update:
        doc.write_text("\n".join(out))
    return problems


def main():
    source_dir = pathlib.Path(sys.argv[1]).resolve()
    update = "--update" in sys.argv[2:]
    docs = sorted((source_dir / "docs").glob("*.md")) + [source_dir / "README.md"]
    problems = [p for doc in docs for p in check(source_dir, doc, update)]
    for p in problems:
        print(p)
    if problems and not update:
        print(f"{len(problems)} problem(s); `{sys.argv[0]} {sys.argv[1]} --update` rewrites "
              "the snippets from the sources")
        return 1
    print(f"{len(docs)} files checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
