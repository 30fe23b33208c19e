// Validation of the weighted ops: DENSE, CONV2D and CONV_TRANSPOSE (docs/format.md "Ops"), the same limits as
// assembly/loader.ts. Used by runtime/format.ts.
import { Op } from '../format/constants.js';
import type { TensorInfo } from './format.js';
import type { OpCheck } from './format-op-check.js';

export const isComputeOpcode = (code: number): boolean => code >= Op.Dense && code <= Op.ConvTranspose;

/** Throws ModelFormatError when a DENSE or CONV op breaks a rule; a and out are already checked to exist. */
export function checkComputeOp(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  if (c.op.opcode === Op.Dense) checkDense(c, a, out);
  else checkConv(c, a, out);
}

function checkDense(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  const b = c.tensor('b (weights)', c.op.b);
  c.constant('b (weights)', b);
  c.rank('b (weights)', b, 2);
  const [K, M] = b.dims;
  c.count('a', a, K);
  c.count('out', out, M);
  const bias = c.optional('c (bias)', c.op.c);
  if (bias) { c.constant('c (bias)', bias); c.count('c (bias)', bias, M); }
  checkComputeDtypes(c, a, b, bias, out, M);
}

function checkConv(c: OpCheck, a: TensorInfo, out: TensorInfo): void {
  const [kh, kw, sH, sW, padTop, padLeft, dH, dW, groups] = c.op.params;
  // Limits as in docs/format.md (and assembly/loader.ts): 1..65536; groups only has to divide the channels.
  for (const [name, v] of [['kernel height', kh], ['kernel width', kw], ['stride height', sH], ['stride width', sW],
    ['dilation height', dH], ['dilation width', dW]] as const) {
    if (v < 1 || v > 65536) c.fail(`${name} ${v} is outside 1..65536`);
  }
  if (groups < 1) c.fail(`groups ${groups} must be >= 1`);
  const effH = dH * (kh - 1) + 1, effW = dW * (kw - 1) + 1;
  // The wasm kernels index in i32: the dilated kernel extent is capped at 2^24 (assembly/loader.ts MAX_EXTENT).
  if (effH > 2 ** 24 || effW > 2 ** 24) c.fail(`dilated kernel (${effH}, ${effW}) exceeds 2^24`);
  if (padTop >= effH || padLeft >= effW) {
    c.fail(`padding (${padTop}, ${padLeft}) must be smaller than the dilated kernel (${effH}, ${effW})`);
  }
  c.rank('a', a, 3);
  c.rank('out', out, 3);
  const [Ci, H, W] = a.dims;
  const [Co, OH, OW] = out.dims;
  if (Ci % groups !== 0 || Co % groups !== 0) c.fail(`groups ${groups} does not divide input channels ${Ci} and output channels ${Co}`);
  const b = c.tensor('b (weights)', c.op.b);
  c.constant('b (weights)', b);
  c.count('b (weights)', b, groups * kh * kw * (Ci / groups) * (Co / groups));
  const bias = c.optional('c (bias)', c.op.c);
  if (bias) { c.constant('c (bias)', bias); c.count('c (bias)', bias, Co); }
  const transposed = c.op.opcode === Op.ConvTranspose;
  checkConvAxis(c, 'height', transposed, H, OH, kh, sH, padTop, dH);
  checkConvAxis(c, 'width', transposed, W, OW, kw, sW, padLeft, dW);
  checkComputeDtypes(c, a, b, bias, out, Co);
}

/**
 * DENSE/CONV dtype combinations: f32 activations with f32/f16/i8 weights and f32 bias, or the integer path
 * (i8 activations, i8 weights, i32 bias). i8 weights need one per-channel scale per output channel.
 */
function checkComputeDtypes(c: OpCheck, a: TensorInfo, b: TensorInfo, bias: TensorInfo | undefined, out: TensorInfo,
  channels: number): void {
  if (a.dtype === 'f32') {
    if (out.dtype !== 'f32') c.fail(`f32 input but ${out.dtype} output`);
    if (b.dtype !== 'f32' && b.dtype !== 'f16' && b.dtype !== 'i8') c.fail(`weights of dtype ${b.dtype}, expected f32, f16 or i8`);
    if (bias && bias.dtype !== 'f32' && bias.dtype !== 'f16') c.fail(`bias of dtype ${bias.dtype}, expected f32 or f16`);
  } else if (a.dtype === 'i8') {
    if (out.dtype !== 'i8') c.fail(`i8 input but ${out.dtype} output`);
    if (b.dtype !== 'i8') c.fail(`i8 input needs i8 weights, got ${b.dtype}`);
    if (bias && bias.dtype !== 'i32') c.fail(`i8 compute needs an i32 bias, got ${bias.dtype}`);
  } else {
    c.fail(`input dtype ${a.dtype} is not supported (f32 or i8)`);
  }
  if (b.dtype === 'i8' && b.qCount !== channels) {
    c.fail(`i8 weights tensor ${b.index} has ${b.qCount} per-channel scales, expected ${channels}`);
  }
}

/**
 * Output size of a convolution along one axis, with the bottom/right padding implied by the output size.
 * Conv: out = floor((in + padBegin + padEnd - eff) / s) + 1, so the implied end padding lies in (-s, eff - 1].
 * Transposed: out = (in - 1) * s + eff - padBegin - padEnd + outputPadding with outputPadding < max(s, d),
 * so padEnd - outputPadding lies in [-(max(s, d) - 1), eff - 1].
 */
function checkConvAxis(c: OpCheck, axis: string, transposed: boolean, size: number, outSize: number,
  kernel: number, stride: number, padBegin: number, dilation: number): void {
  const eff = dilation * (kernel - 1) + 1;
  const impliedEnd = transposed
    ? (size - 1) * stride + eff - padBegin - outSize
    : (outSize - 1) * stride + eff - size - padBegin;
  const lowest = transposed ? -(Math.max(stride, dilation) - 1) : -stride + 1;
  if (impliedEnd < lowest || impliedEnd > eff - 1) {
    const symmetric = transposed
      ? (size - 1) * stride + eff - 2 * padBegin
      : Math.floor((size + 2 * padBegin - eff) / stride) + 1;
    c.fail(`output ${axis} ${outSize} does not follow from input ${axis} ${size}, kernel ${kernel}, stride ${stride}, ` +
      `pad ${padBegin}, dilation ${dilation} (symmetric padding gives ${symmetric})`);
  }
}
