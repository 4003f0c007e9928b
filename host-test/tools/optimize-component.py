#!/usr/bin/env python3
"""Runs binaryen's wasm-opt over the main core module of a component.

wasm-opt reads core modules only, so this takes the component's largest embedded core module
(the program; the others are the small WASI adapter shims wasm-component-ld adds), optimizes
it, and writes the component back with only that module replaced. wasm-opt keeps every import
and export, so the component's structure around the module stays valid. The component's own
`component-name` custom section (names of its lowered and lifted functions and instances, for
debuggers and `wasm-tools print`; ~11 KB, read by no runtime) is dropped on the way.

usage: optimize-component.py IN OUT [WASM-OPT FLAGS...]   (default flags: -Oz)
"""

import os
import subprocess
import sys
import tempfile

# The features rustc's wasm32-wasip2 output uses (simd128 is ours, see .cargo/config.toml).
FEATURES = [
    "--enable-simd",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
]

CORE_MODULE = 1  # the component-model section id of an embedded core module
CUSTOM = 0  # the id of a custom section
DROPPED_CUSTOM = {b"component-name"}


def leb128(data, at):
    """An unsigned LEB128 at `at`: (value, offset after it)."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def encode_leb128(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | 0x80 if value else byte)
        if not value:
            return bytes(out)


def sections(component):
    """(id, start of the section, start of its payload, end) for each top-level section."""
    if component[4:8] != b"\x0d\x00\x01\x00":
        sys.exit("optimize-component: the input is not a component")
    at = 8
    while at < len(component):
        payload, end = leb128(component, at + 1)
        yield component[at], at, end, end + payload
        at = end + payload


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    source, target, flags = sys.argv[1], sys.argv[2], sys.argv[3:] or ["-Oz"]
    component = open(source, "rb").read()
    modules = [s for s in sections(component) if s[0] == CORE_MODULE]
    if not modules:
        sys.exit("optimize-component: the component embeds no core module")
    _, start, payload, end = max(modules, key=lambda s: s[3] - s[2])
    with tempfile.TemporaryDirectory() as scratch:
        module_in = os.path.join(scratch, "in.wasm")
        module_out = os.path.join(scratch, "out.wasm")
        with open(module_in, "wb") as f:
            f.write(component[payload:end])
        subprocess.run(["wasm-opt", *flags, *FEATURES, module_in, "-o", module_out], check=True)
        optimized = open(module_out, "rb").read()
    section = bytes([CORE_MODULE]) + encode_leb128(len(optimized)) + optimized
    out = component[:8]
    for sid, at, payload, stop in sections(component):
        if at == start:
            out += section
        elif sid == CUSTOM and custom_name(component, payload) in DROPPED_CUSTOM:
            continue
        else:
            out += component[at:stop]
    with open(target, "wb") as f:
        f.write(out)
    print(f"{target}: {len(component)} -> {len(out)} bytes")


def custom_name(component, payload):
    """The name a custom section's payload starts with."""
    length, at = leb128(component, payload)
    return component[at : at + length]


if __name__ == "__main__":
    main()
