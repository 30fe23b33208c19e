// The converter's list of the ONNX ops it accepts: for each, the opsets, the attributes the importer reads
// (any other attribute is refused, see import.ts), what is supported, and how the op runs in int8 mode.
// README's "Supported ONNX" table is generated from this list (scripts/supported-ops.ts) and a test checks
// that the list and the importer's dispatch name the same ops, so neither can drift from the other.
import { CONST_EVAL_OPS } from './const-eval.js';
import { MAX_OPSET, MIN_OPSET } from './onnx-load.js';

/**
 * How an op runs in an int8 conversion:
 * - integer: an int8 kernel (i8 activations and weights, i32 bias);
 * - bytes:   the int8 bytes move unchanged (views, nearest resize of an int8 value);
 * - f32:     f32 between QUANTIZE and DEQUANTIZE;
 * - folded:  computed at conversion time (constants, shapes) or folded into a neighbouring op.
 */
export type Int8Mode = 'integer' | 'bytes' | 'f32' | 'folded';

/**
 * How the importer meets the op: `import` ops are dispatched by importNode's switch (and, when the op is also
 * in const-eval's set, folded when every input is a constant); `fold` ops only have constant inputs;
 * `pattern` ops are accepted only inside a sub-graph an exporter writes for one supported op.
 */
export type OpRole = 'import' | 'fold' | 'pattern';

export interface OpSpec {
  role: OpRole;
  /** first opset at which ONNX defines the op (the range starts at the converter's MIN_OPSET at the earliest) */
  since?: number;
  /** attributes the importer reads; any other attribute on an imported node is refused */
  attrs: readonly string[];
  int8: Int8Mode;
  /** one line: what is supported and where the limits are */
  note: string;
}

const imp = (attrs: readonly string[], int8: Int8Mode, note: string, since?: number): OpSpec =>
  ({ role: 'import', attrs, int8, note, since });
const pattern = (int8: Int8Mode, note: string): OpSpec => ({ role: 'pattern', attrs: [], int8, note });

const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];
/** Rank-3 values are stored HWC (passes/layout.ts): a reshape is a view unless it reorders the data. */
const VIEW_NOTE = 'a view of the same bytes, or a reorder folded into the dense layer next to it, else an f32 LAYOUT op';
const ELEMENTWISE_NOTE = 'activation with a constant (broadcast per sample) or two activations of equal shape';

/** Ops with an activation input, in the order of README's table. */
const IMPORTED: Record<string, OpSpec> = {
  Conv: imp(CONV_ATTRS, 'integer',
    '1-D and 2-D; stride, pads incl. auto_pad, dilation, groups incl. depthwise; a zero Pad before it folds into its padding'),
  ConvTranspose: imp([...CONV_ATTRS, 'output_padding', 'output_shape'], 'integer',
    '1-D and 2-D; stride, pads, output_padding, output_shape; a following Slice crop folds into its padding'),
  Gemm: imp(['alpha', 'beta', 'transA', 'transB'], 'integer', 'constant weights (Linear layers)'),
  MatMul: imp([], 'integer', 'constant weights (per-token Linear layers: int8 kernel) or two activations batched over leading dims (f32)'),
  Add: imp([], 'f32', ELEMENTWISE_NOTE),
  Sub: imp([], 'f32', ELEMENTWISE_NOTE),
  Mul: imp([], 'f32', `${ELEMENTWISE_NOTE}; \`x * Sigmoid(x)\` fuses to SiLU`),
  Div: imp([], 'f32', `${ELEMENTWISE_NOTE}; not a constant divided by an activation`),
  Relu: imp([], 'integer', 'fused into the int8 conv/dense before it; alone in f32'),
  LeakyRelu: imp(['alpha'], 'integer', 'fused into the int8 conv/dense before it; alone in f32'),
  Sigmoid: imp([], 'f32', ''),
  Tanh: imp([], 'f32', ''),
  Exp: imp([], 'f32', ''),
  Softplus: imp([], 'f32', "also the dynamo exporter's `Where(Greater(x, 20), x, Softplus(x))`"),
  Elu: imp(['alpha'], 'f32', ''),
  Gelu: imp(['approximate'], 'f32', 'erf and tanh forms; their Erf and tanh decompositions are recognised at every opset', 20),
  Mish: imp([], 'f32', 'also `x * Tanh(Softplus(x))` at every opset', 18),
  HardSigmoid: imp(['alpha', 'beta'], 'f32', ''),
  HardSwish: imp([], 'f32', 'also `x * HardSigmoid(x)` at every opset', 14),
  PRelu: imp([], 'f32', 'constant slope, per channel or broadcast'),
  Clip: imp([], 'f32', 'constant bounds exact in binary16 (ReLU6, Hardtanh); opset 10 `min`/`max` attributes are read as inputs'),
  BatchNormalization: imp(['epsilon', 'momentum', 'training_mode'], 'folded',
    'inference only; folded into the conv/dense before it, else a per-channel f32 multiply-add'),
  InstanceNormalization: imp(['epsilon'], 'f32', "also PyTorch's Reshape + InstanceNormalization + Reshape GroupNorm export"),
  GroupNormalization: imp(['epsilon', 'num_groups', 'stash_type'], 'f32',
    'scale and bias per group (opset 18) or per channel (opset 21)', 18),
  LayerNormalization: imp(['axis', 'epsilon', 'stash_type', 'edgevae_axes'], 'f32',
    'also its ReduceMean/Sub/Pow/Sqrt/Div decomposition at every opset', 17),
  Softmax: imp(['axis'], 'f32', 'any non-batch axis (before opset 13: the input coerced to 2-D at axis)'),
  Identity: imp([], 'folded', 'no op at run time'),
  Dropout: imp(['seed', 'ratio'], 'folded', 'inference only (no mask output); no op at run time'),
  Cast: imp(['to', 'saturate'], 'folded', 'activations only to float32; no op at run time'),
  Reshape: imp(['allowzero'], 'bytes', `dim 0 stays the batch; up to rank 7 when a Transpose follows (pixel shuffle); ${VIEW_NOTE}`),
  Flatten: imp(['axis'], 'bytes', `axis 1; ${VIEW_NOTE}`),
  Squeeze: imp(['axes'], 'bytes', `not the batch axis; ${VIEW_NOTE}`),
  Unsqueeze: imp(['axes'], 'bytes', `not the batch axis; ${VIEW_NOTE}`),
  Transpose: imp(['perm'], 'f32',
    'any permutation of up to 4 per-sample axes; batch-swapping pairs around a channel reorder are recognised'),
  Gather: imp(['axis'], 'f32',
    'constant indices on a non-batch axis; in sequence models also a constant table indexed by token ids (embedding lookup, ids checked ' +
      'at run time)'),
  LSTM: imp(['activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout', 'activation_alpha', 'activation_beta'], 'f32',
    'forward, reverse, bidirectional; layout 0 (sequence models) and 1; initial_h/initial_c; default activations only; no sequence_lens, ' +
      'peepholes (P), clip or input_forget'),
  GRU: imp(
    ['activations', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset', 'activation_alpha', 'activation_beta'], 'f32',
    'forward, reverse, bidirectional; layout 0 (sequence models) and 1; initial_h; linear_before_reset 0 and 1; default activations ' +
      'only; no sequence_lens or clip'),
  LogSoftmax: imp(['axis'], 'f32', 'last axis'),
  ArgMax: imp(['axis', 'keepdims', 'select_last_index'], 'f32', 'last axis, first index on ties (select_last_index 0); the index as f32'),
  Split: imp(['axis', 'split', 'num_outputs'], 'f32', 'non-batch axis'),
  Slice: imp([], 'f32', 'step 1 on non-batch axes'),
  Concat: imp(['axis'], 'f32', 'activations on a non-batch axis'),
  Resize: imp(
    ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias',
      'axes', 'keep_aspect_ratio_policy'], 'bytes',
    'nearest (any scale, any nearest_mode; int8 bytes) and linear/bilinear (half_pixel, pytorch_half_pixel, align_corners, asymmetric; ' +
      'f32); scales or sizes; no cubic, no tf_crop_and_resize, no antialias'),
  Upsample: imp(['mode'], 'bytes', 'as Resize (nearest in int8 bytes, linear in f32)'),
  Pad: imp(['mode'], 'f32',
    'constant, reflect, edge; a zero Pad before a Conv folds into it; opset 10 `pads`/`value` attributes are read as inputs'),
  MaxPool: imp(['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'], 'f32',
    '1-D and 2-D; pads, strides, ceil_mode; no dilations'),
  AveragePool: imp(['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'], 'f32',
    '1-D and 2-D; pads, strides, ceil_mode, count_include_pad; no dilations'),
  GlobalAveragePool: imp([], 'f32', ''),
  GlobalMaxPool: imp([], 'f32', ''),
  DepthToSpace: imp(['blocksize', 'mode'], 'f32', 'DCR and CRD (pixel shuffle)'),
  SpaceToDepth: imp(['blocksize'], 'f32', "also `nn.PixelUnshuffle`'s rank-6 Reshape, Transpose, Reshape"),
};

/** Ops accepted only as part of a sub-graph an exporter writes for one supported op. */
const PATTERN_ONLY: Record<string, OpSpec> = {
  Erf: pattern('f32', 'inside the GELU decomposition `0.5 * x * (1 + Erf(x / sqrt(2)))`'),
  ReduceMean: pattern('f32', 'inside the LayerNormalization decomposition'),
  GatherND: pattern('f32', 'inside a channel reorder `x[:, [2, 1, 0]]` (Transpose, GatherND, Transpose)'),
};

/** Shape sub-graph ops: folded at conversion, their inputs must be constants (or shapes known at conversion). */
const FOLDED: Record<string, OpSpec> = Object.fromEntries(
  ['Shape', ...[...CONST_EVAL_OPS].filter((op) => !(op in IMPORTED) && !(op in PATTERN_ONLY))]
    .map((op): [string, OpSpec] => [op, { role: 'fold', attrs: [], int8: 'folded', note: 'constant inputs only' }]),
);

export const OP_REGISTRY: Readonly<Record<string, OpSpec>> = { ...IMPORTED, ...PATTERN_ONLY, ...FOLDED };

/** Attributes the importer accepts on a node of `op` with an activation input (undefined: op not imported). */
export function knownAttrs(op: string): readonly string[] | undefined {
  const spec = OP_REGISTRY[op];
  return spec?.role === 'import' ? spec.attrs : undefined;
}

/** The opsets at which the converter accepts `op`, as "a–b". */
export function opsetRange(spec: OpSpec): string {
  return `${Math.max(MIN_OPSET, spec.since ?? MIN_OPSET)}–${MAX_OPSET}`;
}
