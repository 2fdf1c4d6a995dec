#!/usr/bin/env bash
# A size report: the largest Rust / TypeScript / Svelte source files and the longest Rust
# functions under crates/, src-tauri/src, tests/ and ui/src (generated bindings, node_modules and
# build output left out). It is a report, not a gate: it always exits 0 on a normal run.
#   .ci/sizes.sh                            the 15 largest files and the 15 longest functions
#   .ci/sizes.sh --max-file 600 --max-fn 80 the same, then every file / function over the limits
#   .ci/sizes.sh --top 30                   show 30 of each instead of 15
# A function's length runs from its `fn` line to its closing brace, both included; comments and
# string literals are blanked before braces are counted, so `"{"` does not throw it off.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import os
import re
import sys

ROOTS = ["crates", "src-tauri/src", "tests", "ui/src"]
SKIP_DIRS = {"node_modules", "target", "dist", ".svelte-kit"}
SKIP_PREFIXES = ("ui/src/lib/bindings",)
EXTS = (".rs", ".ts", ".svelte")


def usage(msg):
    print(f"error: {msg}\nusage: .ci/sizes.sh [--top N] [--max-file N] [--max-fn M]", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    opts = {"top": 15, "max_file": None, "max_fn": None}
    it = iter(argv)
    for a in it:
        key = {"--top": "top", "--max-file": "max_file", "--max-fn": "max_fn"}.get(a)
        if key is None:
            usage(f"unknown argument `{a}`")
        v = next(it, None)
        if v is None or not v.isdigit():
            usage(f"`{a}` needs a number")
        opts[key] = int(v)
    return opts


def sources():
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in SKIP_DIRS and not os.path.join(dirpath, d).startswith(SKIP_PREFIXES)
            )
            for f in sorted(filenames):
                path = os.path.join(dirpath, f)
                if f.endswith(EXTS) and not f.endswith(".d.ts") and not path.startswith(SKIP_PREFIXES):
                    yield path


def blank_comments_and_strings(src):
    """The Rust source with comments, string and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(src)

    def keep_newlines(s):
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(keep_newlines(src[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:i + 260])) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(keep_newlines(src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(keep_newlines(src[i:j]))
            i = j
        elif c == "'":
            # A char literal ('{', '\n', '\u{7b}') or a lifetime / label ('a, 'static).
            if src.startswith("\\", i + 1):
                j = src.find("'", i + 2)
                j = n if j < 0 else j + 1
                out.append(" " * (j - i))
                i = j
            elif i + 2 < n and src[i + 2] == "'":
                out.append("   ")
                i += 3
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def rust_functions(path, src):
    """(lines, line number, name) of every function with a body."""
    text = blank_comments_and_strings(src)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos):
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    found = []
    for m in FN.finditer(text):
        # The body opens at the first `{` outside the signature's brackets; a `;` first means none.
        depth, j = 0, m.end()
        while j < len(text):
            ch = text[j]
            if ch in "(<[":
                depth += 1
            elif ch in ")>]":
                depth = max(depth - 1, 0) if ch != ">" or text[j - 1] != "-" else depth
            elif ch == ";" and depth == 0:
                j = -1
                break
            elif ch == "{" and depth == 0:
                break
            j += 1
        if j < 0 or j >= len(text):
            continue
        braces, k = 0, j
        while k < len(text):
            if text[k] == "{":
                braces += 1
            elif text[k] == "}":
                braces -= 1
                if braces == 0:
                    break
            k += 1
        start, end = line_of(m.start()), line_of(k)
        found.append((end - start + 1, start, m.group(1)))
    return found


def main():
    opts = parse_args(sys.argv[1:])
    files, fns = [], []
    for path in sources():
        with open(path, encoding="utf-8", errors="replace") as f:
            src = f.read()
        files.append((src.count("\n") + (0 if src.endswith("\n") or not src else 1), path))
        if path.endswith(".rs"):
            fns.extend((n, f"{path}:{line}", name) for n, line, name in rust_functions(path, src))
    files.sort(key=lambda x: (-x[0], x[1]))
    fns.sort(key=lambda x: (-x[0], x[1]))

    top = opts["top"]
    print(f"Largest source files ({len(files)} Rust / TS / Svelte files), lines:")
    for n, path in files[:top]:
        print(f"  {n:6}  {path}")
    print(f"\nLongest Rust functions ({len(fns)} functions), lines:")
    for n, where, name in fns[:top]:
        print(f"  {n:6}  {where}  {name}")
    if opts["max_file"] is not None:
        over = [x for x in files if x[0] > opts["max_file"]]
        print(f"\nFiles over {opts['max_file']} lines: {len(over)}")
        for n, path in over:
            print(f"  {n:6}  {path}")
    if opts["max_fn"] is not None:
        over = [x for x in fns if x[0] > opts["max_fn"]]
        print(f"\nFunctions over {opts['max_fn']} lines: {len(over)}")
        for n, where, name in over:
            print(f"  {n:6}  {where}  {name}")


main()
PY
