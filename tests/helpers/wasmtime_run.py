#!/usr/bin/env python3
"""Runs build/edgevae.wasm under wasmtime (the python package) and writes raw output bytes.

Used by tests/wasmtime.test.ts to check that wasmtime and Node's V8 compute byte-identical results.
It only speaks the host interface of docs/format.md (memory, alloc, load, errorDetail, entryInput,
entryOutput, run, sampleNormal, decodeSequences) through wasmtime_host.py, which reads the .evae entry/tensor tables to
know the sizes.

    python3 tests/helpers/wasmtime_run.py JOB.json

JOB.json:
    {"wasm": "build/edgevae.wasm", "model": "m.evae", "maxBatch": 7, "relaxed": false, "fusedF32": false,
     "steps": [{"op": "run", "kind": 1, "n": 7, "input": "z.f32", "output": "x.f32"},
               {"op": "sample", "count": 100, "seed": 3, "temperature": 0.8, "output": "s.f32"}]}

"relaxed": true enables relaxed SIMD in the engine (for build/edgevae-relaxed.wasm); "fusedF32": true then turns on its
fused f32 multiply-adds (setFusedF32).
A "run" step copies `input` (n samples, flat f32 in ONNX order) into the entry input, runs the entry and
writes every output of the entry (encode: mu then logvar), n samples each, without per-sample padding.
Exit status 2 with a message on stderr when the module reports an error.
"""
import json
import sys

try:
    from wasmtime_host import HostError, entry_tensors, instantiate, load_model
except ImportError:  # the test reads this exact message to tell "not installed" from a failure
    print('MISSING_WASMTIME: python package wasmtime is not installed (pip install wasmtime)', file=sys.stderr)
    sys.exit(3)


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) != 2:
        fail('usage: wasmtime_run.py JOB.json')
    with open(sys.argv[1]) as f:
        job = json.load(f)
    try:
        run_job(job)
    except HostError as e:
        fail(str(e))


def run_job(job):
    store, exports, memory = instantiate(job['wasm'], job.get('relaxed', False), job.get('fusedF32', False))
    with open(job['model'], 'rb') as f:
        model = f.read()
    load_model(store, exports, memory, model, job['maxBatch'])

    for step in job['steps']:
        if step['op'] == 'run':
            kind, n = step['kind'], step['n']
            (in_elements, in_stride), outputs = entry_tensors(model, kind)
            with open(step['input'], 'rb') as f:
                data = f.read()
            if len(data) != n * in_elements * 4:
                fail(f'input {step["input"]}: {len(data)} bytes, expected {n} x {in_elements} f32')
            base = exports['entryInput'](store, kind)
            for s in range(n):
                memory.write(store, data[s * in_elements * 4:(s + 1) * in_elements * 4], base + s * in_stride)
            status = exports['run'](store, kind, n)
            if status != 0:
                fail(f'run({kind}, {n}) failed: code {status}, detail {exports["errorDetail"](store)}')
            out = bytearray()
            for k, (elements, stride) in enumerate(outputs):
                ptr = exports['entryOutput'](store, kind, k)
                for s in range(n):
                    out += memory.read(store, ptr + s * stride, ptr + s * stride + elements * 4)
        elif step['op'] == 'sample':
            count = step['count']
            ptr = exports['alloc'](store, count * 4)
            exports['sampleNormal'](store, ptr, count, int(step['seed']), float(step['temperature']))
            out = memory.read(store, ptr, ptr + count * 4)
        elif step['op'] == 'decode':
            # Sequence models: decodeSequences on n latents; writes the rows (n x limit i32, -1 after the stop token).
            n, max_length = step['n'], step['maxLength']
            with open(step['latents'], 'rb') as f:
                z = f.read()
            z_ptr = exports['alloc'](store, len(z))
            memory.write(store, z, z_ptr)
            out_ptr = exports['alloc'](store, n * 1024 * 4)
            limit = exports['decodeSequences'](store, z_ptr, n, out_ptr, max_length, int(step['seed']),
                                               float(step['temperature']), step['topK'], step.get('firstIndex', 0))
            if limit < 0:
                fail(f'decodeSequences failed: code {limit}')
            out = memory.read(store, out_ptr, out_ptr + n * limit * 4)
        else:
            fail(f'unknown step op {step["op"]!r}')
        with open(step['output'], 'wb') as f:
            f.write(out)


if __name__ == '__main__':
    main()
