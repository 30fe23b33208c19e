#!/usr/bin/env python3
"""Runs the edgevae WASI command under the `wasmtime` Python package, like the wasmtime CLI would.

usage: run-wasmtime.py [--memory-limit BYTES] [--simd auto|fixed|relaxed] MODULE.wasm DIR STDOUT STDERR [ARGS...]
DIR is preopened as "." (the guest's working directory); the module's stdout/stderr go to the two files
("-" for this terminal's). --memory-limit caps the module's linear memory as the wasmtime CLI's
`-W max-memory-size=BYTES` does (memory.grow past it fails inside the module). Exits with the module's exit code.
--simd auto (default): when MODULE is edgevae-wasi.wasm and edgevae-wasi-relaxed.wasm lies beside it, run the relaxed-SIMD
build if this wasmtime supports relaxed SIMD and computes a known-answer probe correctly (the int8 results are the same
bytes either way); fixed / relaxed force one. EDGEVAE_DEBUG=1 prints the choice and why on stderr.
On a device: pip install wasmtime, then
  python3 run-wasmtime.py edgevae-wasi.wasm . - - sample --model m.evae --n 16 --out grid.png
"""
import os
import struct
import sys
import wasmtime

# The probe module of runtime/simd-probe.ts: probe() stores relaxed_dot_i8x16_i7x16_add_s(@16, @32, @48) at 0 and
# f32x4.relaxed_madd(@80, @96, @112) at 64.
PROBE_MODULE = bytes([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
    0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x12, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00,
    0x05, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x00, 0x00, 0x0a, 0x3e, 0x01, 0x3c, 0x00, 0x41, 0x00,
    0x41, 0x10, 0xfd, 0x00, 0x04, 0x00, 0x41, 0x20, 0xfd, 0x00, 0x04, 0x00, 0x41, 0x30, 0xfd, 0x00, 0x04, 0x00,
    0xfd, 0x93, 0x02, 0xfd, 0x0b, 0x04, 0x00, 0x41, 0xc0, 0x00,
    0x41, 0xd0, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x41, 0xe0, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x41, 0xf0, 0x00, 0xfd, 0x00, 0x04, 0x00,
    0xfd, 0x85, 0x02, 0xfd, 0x0b, 0x04, 0x00, 0x0b,
])
DOT_A = [-128, -1, 127, 5, 3, -7, 100, -50, 1, 2, 3, 4, -128, 127, -128, 127]
DOT_B = [127, 1, 2, 3, 0, 64, 127, 9, 10, 20, 30, 40, 127, 127, 1, 0]  # 7-bit: every engine must agree
DOT_C = [1000, -5, 0, 7]
E12 = 2.0 ** -12
MADD_X = [1 + E12, 1 + E12, -(1 + E12), 3.0]
MADD_Y = [1 + E12, 1 + E12, 1 + E12, 0.5]
MADD_Z = [-(1 + 2 * E12), 0.0, 1 + 2 * E12, -1.0]


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def relaxed_simd_verdict():
    """(ok, reason): relaxed SIMD supported by this wasmtime and computing the probe right."""
    config = wasmtime.Config()
    config.wasm_simd = True
    try:
        config.wasm_relaxed_simd = True  # a write-only property (wasmtime-py >= 0.38)
    except AttributeError:
        return False, 'this wasmtime has no relaxed SIMD setting'
    try:
        engine = wasmtime.Engine(config)
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, wasmtime.Module(engine, PROBE_MODULE), [])
        memory = instance.exports(store)['memory']
        memory.write(store, struct.pack('<16b', *DOT_A), 16)
        memory.write(store, struct.pack('<16b', *DOT_B), 32)
        memory.write(store, struct.pack('<4i', *DOT_C), 48)
        memory.write(store, struct.pack('<4f', *MADD_X), 80)
        memory.write(store, struct.pack('<4f', *MADD_Y), 96)
        memory.write(store, struct.pack('<4f', *MADD_Z), 112)
        instance.exports(store)['probe'](store)
        dot = struct.unpack('<4i', memory.read(store, 0, 16))
        madd = struct.unpack('<4f', memory.read(store, 64, 80))
    except Exception as e:  # noqa: BLE001 (any failure means: do not use relaxed SIMD)
        return False, f'relaxed SIMD not usable: {e}'
    want = [DOT_C[i] + sum(DOT_A[4 * i + j] * DOT_B[4 * i + j] for j in range(4)) for i in range(4)]
    if list(dot) != want:
        return False, f'relaxed SIMD computes wrongly here (dot gave {list(dot)}, expected {want})'
    # f32 products of f32 values are exact in a python float, so one rounding of x*y+z is the fused result
    fused = [f32(MADD_X[i] * MADD_Y[i] + MADD_Z[i]) for i in range(4)]
    unfused = [f32(f32(MADD_X[i] * MADD_Y[i]) + MADD_Z[i]) for i in range(4)]
    if list(madd) != fused and list(madd) != unfused:
        return False, f'relaxed SIMD computes wrongly here (madd gave {list(madd)})'
    return True, f'relaxed SIMD probe passed ({"fused" if list(madd) == fused else "unfused"} madd)'


def choose_module(module_path, simd):
    """(path, relaxed, reason) of the module to run for --simd."""
    relaxed_path = os.path.join(os.path.dirname(module_path), 'edgevae-wasi-relaxed.wasm')
    if simd == 'fixed':
        return module_path, False, 'fixed SIMD requested'
    if os.path.basename(module_path) != 'edgevae-wasi.wasm' or not os.path.exists(relaxed_path):
        if simd == 'relaxed' and os.path.basename(module_path) == 'edgevae-wasi-relaxed.wasm':
            relaxed_path = module_path
        elif simd == 'relaxed':
            raise SystemExit(f'edgevae: --simd relaxed needs {relaxed_path}')
        else:
            return module_path, False, 'no relaxed-SIMD module beside it'
    ok, reason = relaxed_simd_verdict()
    if not ok:
        if simd == 'relaxed':
            raise SystemExit(f'edgevae: --simd relaxed cannot run here: {reason}')
        return module_path, False, reason
    return relaxed_path, True, reason


def main() -> int:
    argv = sys.argv[1:]
    memory_limit = None
    if argv[:1] == ["--memory-limit"] and len(argv) > 1 and argv[1].isdigit():
        memory_limit = int(argv[1])
        argv = argv[2:]
    simd = 'auto'
    if argv[:1] == ["--simd"] and len(argv) > 1 and argv[1] in ("auto", "fixed", "relaxed"):
        simd = argv[1]
        argv = argv[2:]
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    module_path, directory, stdout_path, stderr_path, *args = argv
    module_path, relaxed, reason = choose_module(module_path, simd)
    if os.environ.get('EDGEVAE_DEBUG') == '1':
        print(f'edgevae: {"relaxed" if relaxed else "fixed"} SIMD module {module_path} ({reason})', file=sys.stderr)
    config = wasmtime.Config()
    config.wasm_simd = True
    if relaxed:
        config.wasm_relaxed_simd = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    if memory_limit is not None:
        store.set_limits(memory_size=memory_limit)
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["edgevae-wasi.wasm", *args]
    wasi.preopen_dir(directory, ".")
    if stdout_path == "-":
        wasi.inherit_stdout()
    else:
        wasi.stdout_file = stdout_path
    if stderr_path == "-":
        wasi.inherit_stderr()
    else:
        wasi.stderr_file = stderr_path
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, module_path)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
