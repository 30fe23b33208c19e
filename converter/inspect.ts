// Human-readable summary of a .evae file: ops per entry with shapes, weight sizes, arena and totals.
// Uses the runtime's validating reader, so a file that inspects cleanly also passes the loaders' checks.
import { relaxedDotOps } from '../runtime/relaxed-ops.js';
import { ACT_NAME, FLAG_RELU_U7, OP_NAME } from '../runtime/format-constants.js';
import { readModel, type ModelInfo, type TensorInfo } from '../runtime/format.js';
import { clipBounds } from '../runtime/clip-bounds.js';

const NONE = 0xffffffff;

function fmtBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

const shape = (t: TensorInfo) => `[${t.dims.join(',')}]${t.dtype === 'f32' ? '' : ` ${t.dtype}`}`;

/** Quantization parameters: i8/u8 activations `s=scale zp=z`, i8 weights `per-channel x N`. */
const quantInfo = (t: TensorInfo | undefined): string => {
  if (!t) return '';
  if (t.kind === 'activation' && (t.dtype === 'i8' || t.dtype === 'u8')) return `s=${t.scale.toPrecision(4)} zp=${t.zeroPoint}`;
  if (t.qCount) return `${t.qCount} ch scales`;
  return '';
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function inspectModel(bytes: Uint8Array): string {
  const info = readModel(bytes);
  const meta = info.metadata as Record<string, unknown>;
  const out: string[] = [];
  out.push(
    `model "${String(meta.name ?? '?')}"  format v${info.version}  ${fmtBytes(info.fileSize)}  ` +
      `crc32 ${info.checksum.toString(16).padStart(8, '0')}`);
  out.push(
    `producer: ${String(meta.producer ?? '?')}  quantization: ${String(meta.quantization ?? '?')}  ` +
      `latent: ${String(meta.latentSize ?? '-')}`);
  if (info.sequence) {
    const q = info.sequence;
    const m = (meta.sequence ?? {}) as { kind?: string; tokens?: string[]; separator?: string };
    const preview = (m.tokens ?? []).slice(0, 12).map((t) => JSON.stringify(t)).join(' ');
    out.push(`sequence model (${m.kind ?? '?'}): ${q.vocabSize} tokens, start ${q.bos}, stop ${q.eos}, at most ${q.maxLength} tokens, ` +
      `latent ${q.latentSize}, state ${q.stateSize} values, joined with ${JSON.stringify(m.separator ?? '')}`);
    if (q.neverEmitted.length) {
      const named = q.neverEmitted.map((i) => (m.tokens?.[i] !== undefined ? `${i} ${JSON.stringify(m.tokens[i])}` : `${i}`));
      out.push(`never emitted: ${named.join(', ')}`);
    }
    if (preview) out.push(`vocabulary: ${preview}${(m.tokens?.length ?? 0) > 12 ? ' ...' : ''}`);
  }
  out.push(simdLine(info));
  const constants = info.tensors.filter((t) => t.kind === 'constant');
  const params = constants.reduce((s, t) => s + t.elements, 0);
  const layers = (meta.layers ?? {}) as Record<string, string[]>;
  for (const e of info.entries) {
    out.push('',
      `entry ${e.kind}: input ${shape(info.tensors[e.input]!)} -> ${e.outputs.map((o) => shape(info.tensors[o]!)).join(', ')}  ` +
        `(${e.opCount} ops)`);
    const rows = [['#', 'op', 'act', 'in', 'weights', 'weight bytes', 'out', 'quant', 'params', 'layer']];
    // Ops that take no b/c (UNARY, LAYOUT ...) may hold any value there: the loaders ignore those words.
    const operand = (t: number) => (t !== NONE && t < info.tensors.length ? info.tensors[t] : undefined);
    for (const op of info.ops.slice(e.opStart, e.opStart + e.opCount)) {
      const w = operand(op.b);
      const constBytes = [operand(op.b), operand(op.c)].filter((t) => t?.kind === 'constant').reduce((sum, t) => sum + t!.byteLength, 0);
      rows.push([
        String(op.index), OP_NAME[op.opcode] ?? `?${op.opcode}`, actLabel(op.activation, op.alpha),
        shape(info.tensors[op.a]!), w ? `${w.kind === 'constant' ? '' : 'act '}${shape(w)}` : '', constBytes ? fmtBytes(constBytes) : '',
        shape(info.tensors[op.output]!),
        [quantInfo(w), quantInfo(info.tensors[op.output]!)].filter(Boolean).join(' '),
        op.params.slice(0, lastNonZero(op.params)).join(','), layers[e.kind]?.[op.index - e.opStart] ?? '',
      ]);
    }
    out.push(table(rows));
    const fallback = floatFallback(info, e.opStart, e.opCount);
    if (fallback) out.push(`float ops in this int8 entry (QUANTIZE/DEQUANTIZE around them): ${fallback}`);
  }
  out.push('', `tensors: ${info.tensors.length} (${constants.length} constant, ${info.tensors.length - constants.length} activation)`);
  const scaleBytes = constants.reduce((s, t) => s + t.qCount * 4, 0);
  const byDtype =
    [...new Set(constants.map((t) => t.dtype))].map((d) =>
      `${d} ${fmtBytes(constants.filter((t) => t.dtype === d).reduce((s, t) => s + t.byteLength, 0))}`);
  out.push(
    `weights: ${params.toLocaleString('en-US')} values, ${fmtBytes(info.constantBytes)} (${byDtype.join(', ')}${scaleBytes
      ? `, + ${fmtBytes(scaleBytes)} channel scales` : ''})` +
    (params ? `, ${(100 * (info.constantBytes + scaleBytes) / (params * 4)).toFixed(1)}% of the same weights in f32` : ''));
  out.push(`arena: ${fmtBytes(info.arenaPerSample)} per sample`);
  return out.join('\n');
}

const lastNonZero = (p: number[]) => {
  let n = p.length;
  while (n > 0 && p[n - 1] === 0) n--;
  return n;
};

/** Ops of a quantized entry that still compute in f32 (normalisations, activations, ...), counted by kind; '' when none or not int8. */
function floatFallback(info: ReturnType<typeof readModel>, start: number, count: number): string {
  const ops = info.ops.slice(start, start + count);
  if (!ops.some((op) => info.tensors[op.output]?.dtype === 'i8' && op.opcode !== 11)) return '';
  const moves = new Set([9, 10, 11, 12]); // LAYOUT, COPY, QUANTIZE, DEQUANTIZE
  const counts = new Map<string, number>();
  for (const op of ops) {
    if (moves.has(op.opcode) || info.tensors[op.output]?.dtype !== 'f32') continue;
    const name = `${OP_NAME[op.opcode] ?? op.opcode}${op.activation ? `(${ACT_NAME[op.activation]})` : ''}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => `${n} ${name}`).join(', ');
}

/** Fused activation name; clip with its bounds. */
function actLabel(act: number, alpha: number): string {
  if (!act) return '';
  if (act === 12) return `clip[${clipBounds(alpha).join(',')}]`;
  return ACT_NAME[act] ?? `?${act}`;
}

/** What the two runtime builds do with this file (docs/quantization.md "int8-relaxed"). */
export function simdLine(info: ModelInfo): string {
  const relaxedOps = relaxedDotOps(info);
  if (info.flags & FLAG_RELU_U7) {
    return `simd: int8-relaxed (header flag 1: relu results are 7-bit); relaxed build: ${relaxedOps.length} op(s) use the relaxed ` +
      `int8 dot ` +
      '(same bytes as the fixed build, on every engine); f32 stays bit-exact unless relaxed f32 is asked for';
  }
  return 'simd: fixed and relaxed builds give the same bytes (no 7-bit activations; f32 bit-exact unless relaxed f32 is asked for)';
}
