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
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'helpers'))
from wasmtime_host import HostError, entry_tensors, instantiate, load_model  # noqa: E402

DECODE = 1


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    store, ex, memory = instantiate(job['wasm'], job.get('relaxed', False), job.get('fusedF32', False))
    with open(job['model'], 'rb') as f:
        model = f.read()
    load_model(store, ex, memory, model, 1)
    (in_n, _), outputs = entry_tensors(model, DECODE)
    out_n = outputs[0][0]
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
    try:
        main()
    except HostError as e:
        raise SystemExit(str(e))
