#!/usr/bin/env python3
"""Finds import cycles between the files of Rust crates.

usage: module-cycles.py SRC_DIR...   (each the `src` folder of one crate)

Every `crate::a::b` and `super::x` path in a file is resolved to the file that defines it
(following `pub use` re-exports of a folder's mod.rs), giving a graph of file -> file edges; a
cycle in it is printed and makes the exit status 1. A parent declaring its children (`mod x;`)
is not an import. Inherent `impl` blocks in another file are not seen: they add no `use`.
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)
REEXPORT = re.compile(r"^\s*pub use ([a-z_][a-z0-9_]*)::(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))", re.M)


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def crate_graph(src: Path) -> dict:
    files = {module_of(src, f): f for f in src.rglob("*.rs") if "bin" not in f.relative_to(src).parts}
    reexports = {}
    for module, file in files.items():
        for child, group, single in REEXPORT.findall(strip_comments(file.read_text())):
            for name in (group.split(",") if group else [single]):
                name = name.strip().split(" as ")[-1].strip()
                if name and name != "self":
                    reexports[(module, name)] = module + (child,)

    def resolve(module: tuple, root: str, rest: list) -> tuple:
        base = () if root == "crate" else module[:-1]
        path = list(base) + rest
        best = ()
        for n in range(len(path), -1, -1):
            if tuple(path[:n]) in files:
                best = tuple(path[:n])
                if n < len(path) and (best, path[n]) in reexports:
                    best = reexports[(best, path[n])]
                break
        return best

    graph = {}
    for module, file in files.items():
        text = strip_comments(file.read_text())
        # `use super::x` inside a file's inline `mod tests` refers to the file itself.
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        paths = [(root, rest.strip(":").split("::")) for root, rest in PATH.findall(text)]
        for root, prefix, group in USE_GROUP.findall(text):
            for item in re.split(r"[,{}\s]+", group):
                if item and item != "self":
                    paths.append((root, [p for p in prefix.strip(":").split("::") if p] + [item.split("::")[0]]))
        targets = {resolve(module, root, rest) for root, rest in paths}
        graph[module] = {t for t in targets if t != module and t in files}
    return graph


def find_cycle(graph: dict):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main() -> int:
    status = 0
    for arg in sys.argv[1:]:
        graph = crate_graph(Path(arg))
        cycle = find_cycle(graph)
        edges = sum(len(v) for v in graph.values())
        name = lambda m: "::".join(m) or "(crate root)"
        if cycle:
            print(f"{arg}: import cycle: {' -> '.join(name(m) for m in cycle)}")
            status = 1
        else:
            print(f"{arg}: {len(graph)} files, {edges} imports between them, no cycle")
    return status


if __name__ == "__main__":
    sys.exit(main())
