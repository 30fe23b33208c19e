// format/ is the one source of the format's numbers, field layout and error table; the AssemblyScript side
// gets them from scripts/generate-format.ts. Fails when a committed mirror is stale or differs from format/,
// and when the field layout disagrees with the files the writer produces and the reader accepts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { enumMembers, renderMirrors, screamingCase } from '../scripts/generate-format.js';
import * as layout from '../format/layout.js';
import { ConvWord, EntryField, HeaderField, OpWord, TensorField } from '../format/layout.js';
import { MAX_EXTENT, MAX_KERNEL_PARAM } from '../format/constants.js';
import { WASM_ERROR_TABLE } from '../format/errors.js';
import { readModel } from '../runtime/format.js';
import { convVaeBytes } from './format-fixtures.js';

const read = (path: string): string => readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');

/** `export const NAME: type = value;` lines of an AssemblyScript file. */
function asConstants(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of read(path).matchAll(/export const (\w+): \w+ = ([^;]+);/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('format/ and its AssemblyScript mirrors', () => {
  it('every generated mirror is committed as the generator writes it', () => {
    const mirrors = renderMirrors();
    expect([...mirrors.keys()].sort())
      .toEqual(['assembly/errors.ts', 'assembly/format-fields.ts', 'assembly/format.ts', 'hosts/wasi/load-errors.ts']);
    for (const [path, text] of mirrors) expect(read(path), `${path} is stale: run npm run generate-format`).toBe(text);
  });

  it('assembly/errors.ts has exactly the codes of format/errors.ts', () => {
    const codes = asConstants('assembly/errors.ts');
    const expected = new Map<string, number>([['OK', 0]]);
    for (const [code, name] of WASM_ERROR_TABLE) expected.set(`E_${name}`, code);
    expect(codes).toEqual(expected);
    expect(WASM_ERROR_TABLE.map(([code]) => code)).toEqual(WASM_ERROR_TABLE.map((_, i) => -1 - i));
  });

  it('assembly/format-fields.ts has the field layout and limits of format/', () => {
    const got = asConstants('assembly/format-fields.ts');
    const expected = new Map<string, number>([
      ['MAX_KERNEL_PARAM', MAX_KERNEL_PARAM], ['MAX_EXTENT', MAX_EXTENT], ['CHECKSUM_START', layout.CHECKSUM_START],
    ]);
    const prefixes = [['HeaderField', 'HEADER'], ['TensorField', 'TENSOR_FIELD'], ['EntryField', 'ENTRY_FIELD'], ['OpWord', 'OP_WORD'],
      ['ConvWord', 'CONV_WORD'], ['NormWord', 'NORM_WORD'], ['RecurrentWord', 'RECURRENT_WORD']];
    for (const [name, prefix] of prefixes) {
      for (const [member, v] of enumMembers(layout, name!)) expected.set(`${prefix}_${screamingCase(member)}`, v);
    }
    expect(got).toEqual(expected);
  });

  it('the field layout finds in a written file what the reader reads there', () => {
    const bytes = convVaeBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u32 = (off: number) => view.getUint32(off, true);
    const info = readModel(bytes);
    expect([u32(HeaderField.Version), u32(HeaderField.FileSize), u32(HeaderField.Checksum), u32(HeaderField.ArenaPerSample)])
      .toEqual([info.version, info.fileSize, info.checksum, info.arenaPerSample]);
    expect(u32(HeaderField.Flags)).toBe(0);
    const section = (name: string) => info.sections.find((s) => s.name === name)!;
    expect(u32(HeaderField.TensorOffset)).toBe(section('tensor table').offset);
    expect(u32(HeaderField.TensorCount)).toBe(info.tensors.length);
    expect(u32(HeaderField.OpOffset)).toBe(section('op stream').offset);
    expect(u32(HeaderField.OpCount)).toBe(info.ops.length);
    expect(u32(HeaderField.EntryCount)).toBe(info.entries.length);

    for (const t of info.tensors) {
      const base = section('tensor table').offset + t.index * 48;
      expect(view.getUint16(base + TensorField.Kind, true)).toBe(t.kind === 'constant' ? 0 : 1);
      expect(u32(base + TensorField.Rank)).toBe(t.rank);
      expect(t.dims.map((_, k) => u32(base + TensorField.Dims + 4 * k))).toEqual(t.dims);
      expect(u32(base + TensorField.ByteLength)).toBe(t.byteLength);
    }
    info.entries.forEach((e, k) => {
      const base = u32(HeaderField.EntryOffset) + k * 32;
      expect([u32(base + EntryField.OpStart), u32(base + EntryField.OpCount), u32(base + EntryField.Input), u32(base + EntryField.Output0)])
        .toEqual([e.opStart, e.opCount, e.input, e.outputs[0]]);
      expect(u32(base + EntryField.OutputCount)).toBe(e.outputs.length);
    });
    for (const op of info.ops) {
      const base = section('op stream').offset + op.index * 64;
      const word = (k: number) => u32(base + 4 * k);
      expect([word(OpWord.Opcode), word(OpWord.Out), word(OpWord.A), word(OpWord.B), word(OpWord.C), word(OpWord.Act)])
        .toEqual([op.opcode, op.output, op.a, op.b, op.c, op.activation]);
      expect(word(OpWord.Params)).toBe(op.params[0]);
      if (op.opcode !== 2 && op.opcode !== 3) continue;
      // conv words by name: kernel as the weights' dims [(G,) KH, KW, Ci/G, Co/G] say, groups dividing their count,
      // strides and pads as the (symmetrically padded) input and output heights say
      const w = info.tensors[op.b]!.dims, [Ci, H] = info.tensors[op.a]!.dims as [number, number], OH = info.tensors[op.output]!.dims[1]!;
      expect([word(ConvWord.KernelH), word(ConvWord.KernelW)]).toEqual([w.at(-4), w.at(-3)]);
      expect(w.at(-2)! * word(ConvWord.Groups)).toBe(Ci);
      const k = word(ConvWord.DilationH) * (word(ConvWord.KernelH) - 1) + 1, s = word(ConvWord.StrideH), p = word(ConvWord.PadTop);
      expect(OH).toBe(op.opcode === 2 ? Math.floor((H + 2 * p - k) / s) + 1 : (H - 1) * s - 2 * p + k);
      expect(word(ConvWord.PadLeft)).toBe(p);
      expect(word(ConvWord.StrideW)).toBe(s);
      expect(word(ConvWord.DilationW)).toBe(word(ConvWord.DilationH));
    }
  });
});
