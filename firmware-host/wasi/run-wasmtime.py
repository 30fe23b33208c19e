#!/usr/bin/env python3
"""Runs the edgevae WASI command under the `wasmtime` Python package, like the wasmtime CLI would.

usage: run-wasmtime.py [--memory-limit BYTES] MODULE.wasm DIR STDOUT STDERR [ARGS...]
DIR is preopened as "." (the guest's working directory); the module's stdout/stderr go to the two files
("-" for this terminal's). --memory-limit caps the module's linear memory as the wasmtime CLI's
`-W max-memory-size=BYTES` does (memory.grow past it fails inside the module). Exits with the module's exit code.
On a device: pip install wasmtime, then
  python3 run-wasmtime.py edgevae-wasi.wasm . - - sample --model m.evae --n 16 --out grid.png
"""
import sys
import wasmtime


def main() -> int:
    argv = sys.argv[1:]
    memory_limit = None
    if argv[:1] == ["--memory-limit"] and len(argv) > 1 and argv[1].isdigit():
        memory_limit = int(argv[1])
        argv = argv[2:]
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    module_path, directory, stdout_path, stderr_path, *args = argv
    config = wasmtime.Config()
    config.wasm_simd = True
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
