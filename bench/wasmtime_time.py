#!/usr/bin/env python3
"""Times one edgevae decoder in wasmtime (the python embedding), batch 1, one thread: the wasmtime column of
bench/deploy-engines.ts. Speaks the host interface of docs/format.md like tests/helpers/wasmtime_run.py.

    python3 bench/wasmtime_time.py JOB.json

JOB.json: {"wasm": "build/edgevae-relaxed.wasm", "relaxed": true, "fusedF32": false, "model": "m.evae",
           "input": "z.f32" (one sample, f32), "warmupMs": 300, "windowMs": 1500}
Prints one JSON line: {"medianMs", "p90Ms", "runs", "output": first 16 output floats as hex of their bytes}.
Every call copies the input in and the output out, like the other engines' columns.
"""
import json
import struct
import sys
import time

from wasmtime import Config, Engine, Instance, Module, Store

HEADER = struct.Struct('<4sIIIIIIIIIIIIIII')
ENTRY = struct.Struct('<8I')
TENSOR = struct.Struct('<HHI4IIIfiII')
DECODE = 1


def tensor_size(model, tensor_offset, index):
    (_k, _dtype, rank, d0, d1, d2, d3, _off, byte_length, *_q) = TENSOR.unpack_from(model, tensor_offset + index * TENSOR.size)
    n = 1
    for d in [d0, d1, d2, d3][:rank]:
        n *= d
    return n, byte_length


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    config = Config()
    if job.get('relaxed'):
        config.wasm_relaxed_simd = True
    engine = Engine(config)
    store = Store(engine)
    ex = Instance(store, Module.from_file(engine, job['wasm']), []).exports(store)
    memory = ex['memory']
    if job.get('fusedF32'):
        ex['setFusedF32'](store, 1)
    with open(job['model'], 'rb') as f:
        model = f.read()
    ptr = ex['alloc'](store, len(model))
    memory.write(store, model, ptr)
    status = ex['load'](store, ptr, len(model), 1)
    if status != 0:
        raise SystemExit(f'load failed: code {status}')
    (_m, _v, _s, _c, _fl, _mo, _ml, tensor_offset, _tc, entry_offset, entry_count, *_r) = HEADER.unpack_from(model, 0)
    for e in range(entry_count):
        (kind, _start, _count, inp, _oc, out0, _o1, _r2) = ENTRY.unpack_from(model, entry_offset + e * ENTRY.size)
        if kind == DECODE:
            break
    else:
        raise SystemExit('model has no decode entry')
    in_n, _ = tensor_size(model, tensor_offset, inp)
    out_n, _ = tensor_size(model, tensor_offset, out0)
    with open(job['input'], 'rb') as f:
        data = f.read()
    if len(data) != in_n * 4:
        raise SystemExit(f'input has {len(data)} bytes, expected {in_n * 4}')
    in_ptr = ex['entryInput'](store, DECODE)
    out_ptr = ex['entryOutput'](store, DECODE, 0)
    run = ex['run']

    def call():
        memory.write(store, data, in_ptr)
        if run(store, DECODE, 1) != 0:
            raise SystemExit('run failed')
        return memory.read(store, out_ptr, out_ptr + out_n * 4)

    end = time.perf_counter() + job.get('warmupMs', 300) / 1000
    while time.perf_counter() < end:
        out = call()
    times = []
    end = time.perf_counter() + job.get('windowMs', 1500) / 1000
    while time.perf_counter() < end or len(times) < 5:
        t0 = time.perf_counter_ns()
        out = call()
        times.append((time.perf_counter_ns() - t0) / 1e6)
    times.sort()
    print(json.dumps({'medianMs': times[len(times) // 2], 'p90Ms': times[int(len(times) * 0.9)], 'runs': len(times),
                      'output': bytes(out[:64]).hex()}))


if __name__ == '__main__':
    main()
