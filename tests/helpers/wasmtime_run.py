#!/usr/bin/env python3
"""Runs build/edgevae.wasm under wasmtime (the python package) and writes raw output bytes.

Used by tests/wasmtime.test.ts to check that wasmtime and Node's V8 compute byte-identical results.
It only speaks the host interface of docs/format.md (memory, alloc, load, errorDetail, entryInput,
entryOutput, run, sampleNormal, decodeSequences) and reads the .evae entry/tensor tables itself to know the sizes.

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
import struct
import sys

try:
    from wasmtime import Config, Engine, Instance, Module, Store
except ImportError:  # the test reads this exact message to tell "not installed" from a failure
    print('MISSING_WASMTIME: python package wasmtime is not installed (pip install wasmtime)', file=sys.stderr)
    sys.exit(3)

HEADER = struct.Struct('<4sIIIIIIIIIIIIIII')  # docs/format.md header, 64 bytes
ENTRY = struct.Struct('<8I')
TENSOR = struct.Struct('<HHI4IIIfiII')
F32 = 0


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def entry_outputs(model, kind):
    """[(elements, per-sample byte stride)] of the entry's outputs, read from the tables."""
    (magic, _version, _size, _crc, _flags, _mo, _ml, tensor_offset, tensor_count, entry_offset,
     entry_count, *_rest) = HEADER.unpack_from(model, 0)
    if magic != b'EVAE':
        fail('model file: bad magic')
    for e in range(entry_count):
        (entry_kind, _start, _count, entry_input, output_count, out0, out1, _r) = \
            ENTRY.unpack_from(model, entry_offset + e * ENTRY.size)
        if entry_kind != kind:
            continue
        outputs = []
        for index in [entry_input, out0, out1][:1 + output_count]:
            if index >= tensor_count:
                fail(f'model file: entry {e} names tensor {index} of {tensor_count}')
            (_k, dtype, rank, d0, d1, d2, d3, _off, byte_length, *_q) = \
                TENSOR.unpack_from(model, tensor_offset + index * TENSOR.size)
            if dtype != F32:
                fail(f'model file: entry tensor {index} is not f32')
            elements = 1
            for dim in [d0, d1, d2, d3][:rank]:
                elements *= dim
            outputs.append((elements, byte_length))
        return outputs[0], outputs[1:]
    fail(f'model file has no entry of kind {kind}')


def main():
    if len(sys.argv) != 2:
        fail('usage: wasmtime_run.py JOB.json')
    with open(sys.argv[1]) as f:
        job = json.load(f)
    config = Config()
    if job.get('relaxed'):
        config.wasm_relaxed_simd = True
    engine = Engine(config)
    store = Store(engine)
    module = Module.from_file(engine, job['wasm'])
    if len(module.imports) != 0:
        fail(f'the runtime module must import nothing, it imports {[i.name for i in module.imports]}')
    exports = Instance(store, module, []).exports(store)
    memory = exports['memory']
    if job.get('fusedF32'):
        exports['setFusedF32'](store, 1)

    with open(job['model'], 'rb') as f:
        model = f.read()
    model_ptr = exports['alloc'](store, len(model))
    memory.write(store, model, model_ptr)
    status = exports['load'](store, model_ptr, len(model), job['maxBatch'])
    if status != 0:
        fail(f'load failed: code {status}, detail {exports["errorDetail"](store)}')

    for step in job['steps']:
        if step['op'] == 'run':
            kind, n = step['kind'], step['n']
            (in_elements, in_stride), outputs = entry_outputs(model, kind)
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
