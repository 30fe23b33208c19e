#!/usr/bin/env python3
"""Runs the threaded build (build/edgevae-threads.wasm) under wasmtime (the python package) with a team of
MEMBERS threads on one shared memory, decodes one batch and writes the output bytes (docs/threads.md).

    python3 tests/helpers/wasmtime_threads.py WASM MODEL MEMBERS N INPUT.f32 OUTPUT.f32 OUTPUT_BYTES [TIMED_RUNS]

Every instance is created before the load (with an imported memory, instantiation rewrites the module's zero
data segments). Members 1.. run threadServe on Python threads: wasmtime releases the GIL while wasm runs.
With TIMED_RUNS, prints "ms WALL cpu CPU" (per decode, median of the runs) on stdout.
Exit status 3 when the package is missing, 2 on a runtime error.
"""
import ctypes
import statistics
import sys
import threading
import time

try:
    from wasmtime import Config, Engine, Linker, MemoryType, Limits, Module, SharedMemory, Store
    from wasmtime import _ffi as ffi
    import wasmtime._sharedmemory as shared_module
except ImportError:
    print('MISSING_WASMTIME: python package wasmtime is not installed (pip install wasmtime)', file=sys.stderr)
    sys.exit(3)


def _as_extern(self):
    # wasmtime-py 49 passes a pointer to the shared memory's pointer where the extern union wants the pointer
    return ffi.wasmtime_extern_t(ffi.WASMTIME_EXTERN_SHAREDMEMORY, ffi.wasmtime_extern_union(sharedmemory=self.ptr()))


shared_module.SharedMemory._as_extern = _as_extern


def main():
    wasm, model_path, members, n, input_path, output_path, output_bytes = sys.argv[1:8]
    members, n, output_bytes = int(members), int(n), int(output_bytes)
    timed = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    config = Config()
    config.wasm_threads = True
    config.shared_memory = True
    engine = Engine(config)
    module = Module.from_file(engine, wasm)
    memory = SharedMemory(engine, MemoryType(Limits(1, 65536), is_64=False, shared=True))

    def instantiate():
        store, linker = Store(engine), Linker(engine)
        linker.define(store, 'env', 'memory', memory)
        return store, linker.instantiate(store, module)

    instances = [instantiate() for _ in range(members)]
    store, instance = instances[0]
    ex = instance.exports(store)
    base = ctypes.addressof(memory.data_ptr().contents)  # a shared memory never moves
    model = open(model_path, 'rb').read()
    ptr = ex['alloc'](store, len(model)) & 0xffffffff
    ctypes.memmove(base + ptr, model, len(model))
    rc = ex['load'](store, ptr, len(model), n)
    if rc != 0:
        print(f'load failed with code {rc}', file=sys.stderr)
        sys.exit(2)
    threads = []
    if members > 1:
        control = ex['threadSetup'](store, members, 1) & 0xffffffff
        if control == 0:
            print('threadSetup failed', file=sys.stderr)
            sys.exit(2)
        for k in range(1, members):
            s, i = instances[k]
            t = threading.Thread(target=lambda s=s, i=i, k=k: i.exports(s)['threadServe'](s, control, members, k), daemon=True)
            t.start()
            threads.append(t)
    z = open(input_path, 'rb').read()
    ctypes.memmove(base + (ex['entryInput'](store, 1) & 0xffffffff), z, len(z))
    rc = ex['run'](store, 1, n)
    if rc != 0:
        print(f'run failed with code {rc}', file=sys.stderr)
        sys.exit(2)
    out = ex['entryOutput'](store, 1, 0) & 0xffffffff
    open(output_path, 'wb').write(ctypes.string_at(base + out, output_bytes))
    if timed:
        walls, cpus = [], []
        for _ in range(timed):
            t0, c0 = time.perf_counter(), time.process_time()
            ex['run'](store, 1, n)
            walls.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        print(f'ms {statistics.median(walls):.3f} cpu {statistics.median(cpus):.3f}')
    if members > 1:
        ex['threadStop'](store)
        for t in threads:
            t.join(10)


main()
