"""The host side of docs/format.md's interface in the wasmtime python embedding, shared by
tests/helpers/wasmtime_run.py (byte-identical checks) and bench/wasmtime_time.py (timing): instantiate the
runtime module, load a model, and read the .evae entry and tensor tables to know the entry sizes.
"""
import struct

from wasmtime import Config, Engine, Instance, Module, Store

HEADER = struct.Struct('<4sIIIIIIIIIIIIIII')  # docs/format.md header, 64 bytes
ENTRY = struct.Struct('<8I')
TENSOR = struct.Struct('<HHI4IIIfiII')
F32 = 0


class HostError(Exception):
    """A problem with the module, the model or a call, with a message naming it."""


def instantiate(wasm: str, relaxed: bool = False, fused_f32: bool = False):
    """(store, exports, memory) of the runtime module, which must import nothing."""
    config = Config()
    if relaxed:
        config.wasm_relaxed_simd = True
    engine = Engine(config)
    store = Store(engine)
    module = Module.from_file(engine, wasm)
    if len(module.imports) != 0:
        raise HostError(f'the runtime module must import nothing, it imports {[i.name for i in module.imports]}')
    exports = Instance(store, module, []).exports(store)
    if fused_f32:
        exports['setFusedF32'](store, 1)
    return store, exports, exports['memory']


def load_model(store, exports, memory, model: bytes, max_batch: int) -> None:
    ptr = exports['alloc'](store, len(model))
    memory.write(store, model, ptr)
    status = exports['load'](store, ptr, len(model), max_batch)
    if status != 0:
        raise HostError(f'load failed: code {status}, detail {exports["errorDetail"](store)}')


def entry_tensors(model: bytes, kind: int):
    """(input, [outputs]) of the entry of `kind`, each as (elements, per-sample byte stride), read from the tables."""
    (magic, _version, _size, _crc, _flags, _mo, _ml, tensor_offset, tensor_count, entry_offset,
     entry_count, *_rest) = HEADER.unpack_from(model, 0)
    if magic != b'EVAE':
        raise HostError('model file: bad magic')
    for e in range(entry_count):
        (entry_kind, _start, _count, entry_input, output_count, out0, out1, _r) = \
            ENTRY.unpack_from(model, entry_offset + e * ENTRY.size)
        if entry_kind != kind:
            continue
        tensors = []
        for index in [entry_input, out0, out1][:1 + output_count]:
            if index >= tensor_count:
                raise HostError(f'model file: entry {e} names tensor {index} of {tensor_count}')
            (_k, dtype, rank, d0, d1, d2, d3, _off, byte_length, *_q) = \
                TENSOR.unpack_from(model, tensor_offset + index * TENSOR.size)
            if dtype != F32:
                raise HostError(f'model file: entry tensor {index} is not f32')
            elements = 1
            for dim in [d0, d1, d2, d3][:rank]:
                elements *= dim
            tensors.append((elements, byte_length))
        return tensors[0], tensors[1:]
    raise HostError(f'model file has no entry of kind {kind}')
