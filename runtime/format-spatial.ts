// Validation of the spatial and attention ops (opcodes 20..25, docs/format.md "Operand rules"); the same rules
// as assembly/kernels/spatial_validate.ts, with messages that name the problem. Used by runtime/format.ts.
import { MAX_ELEMENTS, MAX_EXTENT, MAX_KERNEL_PARAM, NONE, Op, PadMode, ResizeMode, PoolKind } from '../format/constants.js';
import { ModelFormatError } from './errors.js';
import type { OpInfo, TensorInfo } from './format.js';

const MAX_PARAM = MAX_KERNEL_PARAM;
const MAX_PAD = MAX_EXTENT;
const MIN_DIVISOR = 2 ** -16;

export const isSpatialOpcode = (code: number): boolean => code >= Op.Pad && code <= Op.Transpose;

const asF32 = (word: number): number => new Float32Array(new Uint32Array([word]).buffer)[0]!;
const asI32 = (word: number): number => word | 0;

/** Throws ModelFormatError when op (opcode 20..25) breaks a rule; a and out are already checked to exist. */
export function checkSpatialOp(op: OpInfo, a: TensorInfo, out: TensorInfo, tensors: TensorInfo[], where: string): void {
  const fail = (msg: string): never => { throw new ModelFormatError(`${where}: ${msg}`); };
  const p = op.params;
  for (const [role, t] of [['a', a], ['out', out]] as const) {
    if (t.kind !== 'activation' || t.dtype !== 'f32') fail(`${role} tensor ${t.index} must be an f32 activation (${t.kind} ${t.dtype})`);
  }
  const rank3 = () => {
    for (const [role, t] of [['a', a], ['out', out]] as const) if (t.rank !== 3) fail(`${role} tensor ${t.index} has rank ${t.rank}, expected 3`);
  };
  const sameChannels = () => {
    rank3();
    if (a.dims[0] !== out.dims[0]) fail(`out has ${out.dims[0]} channels, a has ${a.dims[0]}`);
  };
  const inParam = (name: string, v: number) => { if (v < 1 || v > MAX_PARAM) fail(`${name} ${v} is outside 1..${MAX_PARAM}`); };

  switch (op.opcode) {
    case Op.Pad: {
      sameChannels();
      const [mode, ptw, plw, valueBits] = p as [number, number, number, number];
      const pt = asI32(ptw), pl = asI32(plw);
      if (mode > PadMode.Edge) fail(`unknown pad mode ${mode} (0 constant, 1 reflect, 2 edge)`);
      if (!Number.isFinite(asF32(valueBits))) fail(`pad value ${asF32(valueBits)} is not finite`);
      if (Math.abs(pt) > MAX_PAD || Math.abs(pl) > MAX_PAD) fail(`pads (${pt}, ${pl}) exceed 2^24 in magnitude`);
      if (mode === PadMode.Reflect) {
        const [, H, W] = a.dims as [number, number, number];
        const pb = out.dims[1]! - H - pt, pr = out.dims[2]! - W - pl;
        if (pt >= H || pb >= H || pl >= W || pr >= W) fail(`reflect pads (top ${pt}, bottom ${pb}, left ${pl}, right ${pr}) must be smaller than the input size ${H}x${W}`);
      }
      return;
    }
    case Op.Resize: {
      sameChannels();
      if (p[0]! > ResizeMode.Ceil) fail(`unknown resize mode ${p[0]} (0 linear, 1..4 nearest)`);
      const names = ['offset', 'multiplier', 'divisor', 'shift'];
      for (let k = 0; k < 8; k++) {
        const v = asF32(p[1 + k]!);
        const what = `${k < 4 ? 'height' : 'width'} ${names[k & 3]}`;
        if (!Number.isFinite(v)) fail(`${what} ${v} is not finite`);
        if ((k & 3) === 2 ? v < MIN_DIVISOR || v > MAX_PARAM : Math.abs(v) > MAX_PARAM) {
          fail(`${what} ${v} is out of range (${(k & 3) === 2 ? '2^-16..2^16' : 'magnitude at most 2^16'})`);
        }
      }
      return;
    }
    case Op.Pool: {
      sameChannels();
      const [kind, kh, kw, sH, sW, pt, pl, pb, pr] = p as number[] as [number, number, number, number, number, number, number, number, number];
      if (kind > PoolKind.AvgIncludePad) fail(`unknown pool kind ${kind} (0 max, 1 average, 2 average counting padding)`);
      inParam('kernel height', kh); inParam('kernel width', kw); inParam('stride height', sH); inParam('stride width', sW);
      if (pt >= kh || pl >= kw) fail(`padding (${pt}, ${pl}) must be smaller than the window (${kh}, ${kw})`);
      if (pb > MAX_PARAM || pr > MAX_PARAM) fail(`end padding (${pb}, ${pr}) exceeds ${MAX_PARAM}`);
      const endH = (out.dims[1]! - 1) * sH + kh - a.dims[1]! - pt;
      const endW = (out.dims[2]! - 1) * sW + kw - a.dims[2]! - pl;
      if (endH <= -sH || endH >= kh || endW <= -sW || endW >= kw) {
        fail(`output [${out.dims}] does not follow from input [${a.dims}], window (${kh}, ${kw}), stride (${sH}, ${sW}), pads (${pt}, ${pl}): a window would miss the input`);
      }
      return;
    }
    case Op.MatMul: {
      if (op.b === NONE || op.b >= tensors.length) fail(`tensor b index ${op.b} does not exist (${tensors.length} tensors)`);
      const b = tensors[op.b]!;
      if (b.kind !== 'activation' || b.dtype !== 'f32') fail(`b tensor ${b.index} must be an f32 activation (${b.kind} ${b.dtype})`);
      const [B, M, K, N] = p as [number, number, number, number];
      if (B < 1 || M < 1 || K < 1 || N < 1) fail(`sizes B ${B}, M ${M}, K ${K}, N ${N} must be >= 1`);
      for (const [role, t, n] of [['a', a, B * M * K], ['b', b, B * K * N], ['out', out, B * M * N]] as const) {
        if (t.elements !== n) fail(`${role} tensor ${t.index} has ${t.elements} elements, expected ${n}`);
      }
      return;
    }
    case Op.Softmax: {
      const L = p[0]!;
      if (L < 1 || a.elements % L !== 0) fail(`row length ${L} does not divide the ${a.elements} elements of a`);
      if (out.elements !== a.elements) fail(`out has ${out.elements} elements, a has ${a.elements}`);
      return;
    }
    case Op.Transpose: {
      const dims = p.slice(0, 4), perm = p.slice(4, 8);
      if (dims.some((d) => d < 1)) fail(`dims (${dims}) must be >= 1`);
      if ([0, 1, 2, 3].some((k) => !perm.includes(k))) fail(`perm (${perm}) is not a permutation of 0..3`);
      const n = dims.reduce((s2, d) => s2 * d, 1);
      if (n > MAX_ELEMENTS || a.elements !== n || out.elements !== a.elements) fail(`a (${a.elements}) and out (${out.elements}) must both hold the ${n} elements of dims (${dims})`);
      return;
    }
  }
}
