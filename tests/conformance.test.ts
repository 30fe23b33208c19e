// ONNX backend conformance: Debian's libonnx-testdata node/model test cases (model.onnx + test_data_set_*/
// input_*.pb, output_*.pb) run through convertGraph and the wasm runtime. In scope: every case whose nodes
// all use op types the converter handles. Each such case must either match the reference outputs or be
// listed below as an exclusion with a reason; an excluded case must really be refused with the listed
// error, so the list cannot go stale. All inputs but the first become constants; dim 0 of the first input
// is the batch. Every graph output is checked (one conversion per output).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { decodeTensor, loadOnnx, type ConstTensor } from '../converter/onnx-load.js';
import { Engine } from '../runtime/engine.js';

const { onnx } = onnxPkg;
const DATA = '/usr/share/libonnx-testdata/data';
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];
const WASM = new URL('../build/edgevae.wasm', import.meta.url);
const TOLERANCE = 1e-4; // max abs error <= TOLERANCE * max(1, max |expected|)

/** Op types the converter imports (the rest of ONNX is out of scope). */
const CONVERTER_OPS = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp',
  'Softplus', 'Elu', 'Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'BatchNormalization',
  'Resize', 'Upsample', 'Split', 'Slice', 'Concat', 'Constant', 'Dropout', 'Shape', 'Gather', 'Cast', 'ConstantOfShape',
  'Pad', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'DepthToSpace', 'SpaceToDepth', 'Softmax',
  'InstanceNormalization', 'GroupNormalization', 'LayerNormalization', 'Gelu', 'PRelu', 'Clip', 'HardSigmoid', 'HardSwish', 'Mish',
]);

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** A case the converter refuses with `error`, or (mismatch) converts but computes differently from the reference, for the reason given. */
interface Exclusion { reason: string; error?: RegExp; mismatch?: true; cases: string[] }

const EXCLUSIONS: Exclusion[] = [
  {
    reason: 'opset below 11 (the converter reads opsets 11..21); most of these come from old PyTorch exports (opset 1..9)',
    error: /opset \d+ is not supported/,
    cases: words(`
    node/test_constantofshape_float_ones node/test_constantofshape_int_shape_zero node/test_constantofshape_int_zeros
    node/test_convtranspose_with_kernel node/test_elu node/test_elu_default node/test_elu_example node/test_softplus
    node/test_softplus_example node/test_upsample_nearest pytorch-converted/test_BatchNorm1d_3d_input_eval
    pytorch-converted/test_BatchNorm2d_eval pytorch-converted/test_BatchNorm2d_momentum_eval
    pytorch-converted/test_BatchNorm3d_eval pytorch-converted/test_BatchNorm3d_momentum_eval
    pytorch-converted/test_Conv1d pytorch-converted/test_Conv1d_dilated pytorch-converted/test_Conv1d_groups
    pytorch-converted/test_Conv1d_pad1 pytorch-converted/test_Conv1d_pad1size1 pytorch-converted/test_Conv1d_pad2
    pytorch-converted/test_Conv1d_pad2size1 pytorch-converted/test_Conv1d_stride pytorch-converted/test_Conv2d
    pytorch-converted/test_Conv2d_depthwise pytorch-converted/test_Conv2d_depthwise_padded
    pytorch-converted/test_Conv2d_depthwise_strided pytorch-converted/test_Conv2d_depthwise_with_multiplier
    pytorch-converted/test_Conv2d_dilated pytorch-converted/test_Conv2d_groups
    pytorch-converted/test_Conv2d_groups_thnn pytorch-converted/test_Conv2d_no_bias
    pytorch-converted/test_Conv2d_padding pytorch-converted/test_Conv2d_strided pytorch-converted/test_Conv3d
    pytorch-converted/test_Conv3d_dilated pytorch-converted/test_Conv3d_dilated_strided
    pytorch-converted/test_Conv3d_groups pytorch-converted/test_Conv3d_no_bias pytorch-converted/test_Conv3d_stride
    pytorch-converted/test_Conv3d_stride_padding pytorch-converted/test_ConvTranspose2d
    pytorch-converted/test_ConvTranspose2d_no_bias pytorch-converted/test_ELU pytorch-converted/test_Embedding
    pytorch-converted/test_Embedding_sparse pytorch-converted/test_GLU pytorch-converted/test_GLU_dim
    pytorch-converted/test_LeakyReLU pytorch-converted/test_LeakyReLU_with_negval pytorch-converted/test_Linear
    pytorch-converted/test_Linear_no_bias pytorch-converted/test_PixelShuffle
    pytorch-converted/test_PoissonNLLLLoss_no_reduce pytorch-converted/test_ReLU pytorch-converted/test_Sigmoid
    pytorch-converted/test_Softplus pytorch-converted/test_Tanh pytorch-operator/test_operator_add_broadcast
    pytorch-operator/test_operator_add_size1_broadcast pytorch-operator/test_operator_add_size1_right_broadcast
    pytorch-operator/test_operator_add_size1_singleton_broadcast pytorch-operator/test_operator_addconstant
    pytorch-operator/test_operator_addmm pytorch-operator/test_operator_chunk pytorch-operator/test_operator_concat2
    pytorch-operator/test_operator_conv pytorch-operator/test_operator_convtranspose
    pytorch-operator/test_operator_exp pytorch-operator/test_operator_flatten pytorch-operator/test_operator_index
    pytorch-operator/test_operator_mm pytorch-operator/test_operator_non_float_params
    pytorch-operator/test_operator_permute2 pytorch-operator/test_operator_view simple/test_single_relu_model
    node/test_globalaveragepool node/test_globalaveragepool_precomputed node/test_globalmaxpool
    node/test_globalmaxpool_precomputed pytorch-converted/test_AvgPool1d pytorch-converted/test_AvgPool1d_stride
    pytorch-converted/test_AvgPool2d pytorch-converted/test_AvgPool2d_stride pytorch-converted/test_AvgPool3d
    pytorch-converted/test_AvgPool3d_stride pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input
    pytorch-converted/test_ConstantPad2d pytorch-converted/test_MaxPool1d pytorch-converted/test_MaxPool1d_stride
    pytorch-converted/test_MaxPool2d pytorch-converted/test_MaxPool3d pytorch-converted/test_MaxPool3d_stride
    pytorch-converted/test_MaxPool3d_stride_padding pytorch-converted/test_ReflectionPad2d
    pytorch-converted/test_ReplicationPad2d pytorch-converted/test_Softmax pytorch-converted/test_ZeroPad2d
    pytorch-converted/test_softmax_functional_dim3 pytorch-converted/test_softmax_lastdim
    pytorch-operator/test_operator_maxpool pytorch-operator/test_operator_pad
    node/test_hardsigmoid node/test_hardsigmoid_default node/test_hardsigmoid_example node/test_instancenorm_epsilon
    node/test_instancenorm_example pytorch-converted/test_PReLU_1d pytorch-converted/test_PReLU_1d_multiparam
    pytorch-converted/test_PReLU_2d pytorch-converted/test_PReLU_2d_multiparam pytorch-converted/test_PReLU_3d
    pytorch-converted/test_PReLU_3d_multiparam pytorch-operator/test_operator_clip pytorch-operator/test_operator_symbolic_override`),
  },
  {
    reason: 'non-float32 graph input (integer, double, half, bfloat16, string)',
    error: /must be float32/,
    cases: words(`
    node/test_add_uint8 node/test_cast_BFLOAT16_to_FLOAT node/test_cast_DOUBLE_to_FLOAT
    node/test_cast_DOUBLE_to_FLOAT16 node/test_cast_FLOAT16_to_DOUBLE node/test_cast_FLOAT16_to_FLOAT
    node/test_cast_STRING_to_FLOAT node/test_castlike_BFLOAT16_to_FLOAT_expanded
    node/test_castlike_DOUBLE_to_FLOAT16_expanded node/test_castlike_DOUBLE_to_FLOAT_expanded
    node/test_castlike_FLOAT16_to_DOUBLE_expanded node/test_castlike_FLOAT16_to_FLOAT_expanded
    node/test_castlike_STRING_to_FLOAT_expanded node/test_div_uint8 node/test_mul_uint8 node/test_sub_uint8
    node/test_edge_pad node/test_reflect_pad node/test_maxpool_2d_uint8
    node/test_clip_default_int8_inbounds node/test_clip_default_int8_max node/test_clip_default_int8_min`),
  },
  {
    reason: 'cast of an activation to a non-float32 type (string operands are refused when read)',
    error: /Cast.*casting an activation to ONNX type|ONNX data type 8 is not supported/,
    cases: words(`
    node/test_cast_FLOAT_to_BFLOAT16 node/test_cast_FLOAT_to_DOUBLE node/test_cast_FLOAT_to_FLOAT16
    node/test_cast_FLOAT_to_STRING node/test_castlike_FLOAT_to_BFLOAT16_expanded
    node/test_castlike_FLOAT_to_DOUBLE_expanded node/test_castlike_FLOAT_to_FLOAT16_expanded
    node/test_castlike_FLOAT_to_STRING_expanded`),
  },
  {
    reason: 'second operand carries the batch dim with per-sample values (inputs after the first become constants)',
    error: /varies across the batch/,
    cases: words(`
    node/test_add node/test_prelu_example
    node/test_sub node/test_sub_example node/test_mul node/test_mul_example node/test_div node/test_div_example`),
  },
  {
    reason: 'Gemm bias with one row per batch sample',
    error: /bias of shape \[3,4\] varies across the batch/,
    cases: words(`
    node/test_gemm_default_matrix_bias`),
  },
  {
    reason: 'concat with a constant operand (here the constant also has per-sample rows)',
    error: /concatenating constants with activations/,
    cases: words(`
    node/test_concat_1d_axis_0 node/test_concat_1d_axis_negative_1 node/test_concat_2d_axis_0
    node/test_concat_2d_axis_1 node/test_concat_2d_axis_negative_1 node/test_concat_2d_axis_negative_2
    node/test_concat_3d_axis_0 node/test_concat_3d_axis_1 node/test_concat_3d_axis_2
    node/test_concat_3d_axis_negative_1 node/test_concat_3d_axis_negative_2 node/test_concat_3d_axis_negative_3`),
  },
  {
    reason: 'no graph input to feed (constant-only graph)',
    error: /exactly one \(non-constant\) input, found 0/,
    cases: words(`
    node/test_constant`),
  },
  {
    reason: 'LayerNormalization with its Mean and InvStdDev outputs (training-time statistics) as graph outputs',
    error: /the mean \/ inverse standard deviation outputs are not supported/,
    cases: words(`
    node/test_layer_normalization_2d_axis0 node/test_layer_normalization_2d_axis1
    node/test_layer_normalization_2d_axis_negative_1 node/test_layer_normalization_2d_axis_negative_2
    node/test_layer_normalization_3d_axis0_epsilon node/test_layer_normalization_3d_axis1_epsilon
    node/test_layer_normalization_3d_axis2_epsilon node/test_layer_normalization_3d_axis_negative_1_epsilon
    node/test_layer_normalization_3d_axis_negative_2_epsilon node/test_layer_normalization_3d_axis_negative_3_epsilon
    node/test_layer_normalization_4d_axis0 node/test_layer_normalization_4d_axis1 node/test_layer_normalization_4d_axis2
    node/test_layer_normalization_4d_axis3 node/test_layer_normalization_4d_axis_negative_1
    node/test_layer_normalization_4d_axis_negative_2 node/test_layer_normalization_4d_axis_negative_3
    node/test_layer_normalization_4d_axis_negative_4 node/test_layer_normalization_default_axis`),
  },
  {
    reason: 'BatchNormalization in training mode',
    error: /training_mode=1 is not supported/,
    cases: words(`
    node/test_batchnorm_epsilon_training_mode node/test_batchnorm_example_training_mode`),
  },
  {
    reason: '3D transposed convolution',
    error: /only 1D and 2D convolutions/,
    cases: words(`
    node/test_convtranspose_3d`),
  },
  {
    reason: 'Dropout mask output (bool)',
    error: /the mask output is not supported/,
    cases: words(`
    node/test_dropout_default_mask node/test_dropout_default_mask_ratio node/test_training_dropout_default_mask
    node/test_training_dropout_mask node/test_training_dropout_zero_ratio_mask`),
  },
  {
    reason: 'Dropout in training mode (random)',
    error: /training_mode=true is not supported/,
    cases: words(`
    node/test_training_dropout node/test_training_dropout_default node/test_training_dropout_zero_ratio`),
  },
  {
    reason: 'Flatten with axis != 1 merges the batch dim into other dims',
    error: /merges the batch dim/,
    cases: words(`
    node/test_flatten_axis0 node/test_flatten_axis2 node/test_flatten_axis3 node/test_flatten_negative_axis1
    node/test_flatten_negative_axis2 node/test_flatten_negative_axis4`),
  },
  {
    reason: 'Gather on the batch axis',
    error: /Gather on the batch axis/,
    cases: words(`
    node/test_gather_0 node/test_gather_negative_indices`),
  },
  {
    reason: 'Gemm transA=1 transposes the batch dim away',
    error: /transA=1 is not supported/,
    cases: words(`
    node/test_gemm_all_attributes node/test_gemm_transposeA`),
  },
  {
    reason: 'optional/sequence typed graph input',
    error: /needs a known rank/,
    cases: words(`
    node/test_identity_opt node/test_identity_sequence`),
  },
  {
    reason: 'batched MatMul (rank 3)',
    error: /rank 3 MatMul\) is not supported/,
    cases: words(`
    node/test_matmul_3d`),
  },
  {
    reason: 'batched MatMul (rank 4)',
    error: /rank 4 MatMul\) is not supported/,
    cases: words(`
    node/test_matmul_4d`),
  },
  {
    reason: 'Reshape allowzero=1 producing an empty tensor',
    error: /allowzero=1/,
    cases: words(`
    node/test_reshape_allowzero_reordered`),
  },
  {
    reason: 'Reshape that changes dim 0 (the batch)',
    error: /changes the batch dim/,
    cases: words(`
    node/test_reshape_negative_extended_dims node/test_reshape_one_dim node/test_reshape_reordered_all_dims`),
  },
  {
    reason: 'Resize align_corners downsampling by scales whose input*scale is not an integer: the ONNX reference divides by the ' +
      'unrounded length input*scale - 1, onnxruntime and PyTorch by output size - 1; the converter follows onnxruntime',
    mismatch: true,
    cases: words(`
    node/test_resize_downsample_scales_linear_align_corners`),
  },
  {
    reason: 'Resize cubic mode',
    error: /mode "cubic" is not supported/,
    cases: words(`
    node/test_resize_downsample_scales_cubic node/test_resize_downsample_scales_cubic_A_n0p5_exclude_outside
    node/test_resize_downsample_scales_cubic_align_corners node/test_resize_downsample_sizes_cubic
    node/test_resize_upsample_scales_cubic node/test_resize_upsample_scales_cubic_A_n0p5_exclude_outside
    node/test_resize_upsample_scales_cubic_align_corners node/test_resize_upsample_scales_cubic_asymmetric
    node/test_resize_upsample_sizes_cubic`),
  },
  {
    reason: 'Resize with coordinate mode tf_crop_and_resize (a region of interest)',
    error: /"tf_crop_and_resize" is not supported/,
    cases: words(`
    node/test_resize_tf_crop_and_resize`),
  },
  {
    reason: '3D pooling (per-sample rank 4)',
    error: /only 1D and 2D spatial inputs/,
    cases: words(`
    node/test_averagepool_3d_default node/test_maxpool_3d_default`),
  },
  {
    reason: 'MaxPool with dilations',
    error: /dilations \[[0-9,]+\] are not supported/,
    cases: words(`
    node/test_maxpool_2d_dilations pytorch-converted/test_MaxPool1d_stride_padding_dilation
    pytorch-converted/test_MaxPool2d_stride_padding_dilation`),
  },
  {
    reason: 'MaxPool Indices output (int64)',
    error: /the Indices output is not supported/,
    cases: words(`
    node/test_maxpool_with_argmax_2d_precomputed_pads node/test_maxpool_with_argmax_2d_precomputed_strides`),
  },
  {
    reason: 'Softmax over the batch axis',
    error: /axis 0 is the batch axis/,
    cases: words(`
    node/test_softmax_axis_0`),
  },
  {
    reason: 'Shape output does not depend on the input values (constant result)',
    error: /constant outputs are not supported/,
    cases: words(`
    node/test_shape node/test_shape_clip_end node/test_shape_clip_start node/test_shape_end_1
    node/test_shape_end_negative_1 node/test_shape_example node/test_shape_start_1 node/test_shape_start_1_end_2
    node/test_shape_start_1_end_negative_1 node/test_shape_start_negative_1`),
  },
  {
    reason: 'Slice on the batch axis',
    error: /slicing the batch axis/,
    cases: words(`
    node/test_slice node/test_slice_neg_steps`),
  },
  {
    reason: 'empty Slice result',
    error: /empty slices are not supported/,
    cases: words(`
    node/test_slice_start_out_of_bounds`),
  },
  {
    reason: 'Split on the batch axis',
    error: /Split on the batch axis/,
    cases: words(`
    node/test_split_equal_parts_1d node/test_split_equal_parts_default_axis node/test_split_variable_parts_1d
    node/test_split_variable_parts_default_axis node/test_split_zero_size_splits`),
  },
  {
    reason: 'Squeeze of the batch axis',
    error: /squeezing\/unsqueezing the batch axis/,
    cases: words(`
    node/test_squeeze`),
  },
  {
    reason: 'Unsqueeze at axis 0 (a new batch dim)',
    error: /squeezing\/unsqueezing the batch axis/,
    cases: words(`
    node/test_unsqueeze_axis_0`),
  },
  {
    reason: 'per-sample rank above 4 after Unsqueeze',
    error: /rank above 5/,
    cases: words(`
    node/test_unsqueeze_three_axes node/test_unsqueeze_unsorted_axes`),
  },
  {
    reason: 'Transpose that moves the batch axis',
    error: /moves the batch axis/,
    cases: words(`
    node/test_transpose_all_permutations_2 node/test_transpose_all_permutations_3
    node/test_transpose_all_permutations_4 node/test_transpose_all_permutations_5 node/test_transpose_default`),
  },];

const available = existsSync(DATA) && existsSync(WASM);
if (!available && process.env.CI === 'true') {
  throw new Error(`conformance needs ${DATA} (apt libonnx-testdata) and ${WASM.pathname} (npm run build:wasm)`);
}

function inScope(): string[] {
  if (!available) return [];
  const cases: string[] = [];
  for (const suite of SUITES) {
    const dir = join(DATA, suite);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const model = join(dir, name, 'model.onnx');
      if (!existsSync(model)) continue;
      const ops = onnx.ModelProto.decode(readFileSync(model)).graph?.node?.map((n) => n.opType ?? '') ?? [];
      if (ops.length > 0 && ops.every((op) => CONVERTER_OPS.has(op))) cases.push(`${suite}/${name}`);
    }
  }
  return cases;
}

const readTensor = (path: string): Promise<ConstTensor> => decodeTensor(onnx.TensorProto.decode(readFileSync(path)));

/** Converts each graph output of every data set and compares; returns the worst relative error. */
async function runCase(name: string, module: WebAssembly.Module): Promise<number> {
  const dir = join(DATA, name);
  const model = join(dir, 'model.onnx');
  const info = await loadOnnx(model);
  let worst = 0;
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort();
  expect(sets.length).toBeGreaterThan(0);
  for (const set of sets) {
    const inputs = await Promise.all(info.inputs.map((_, i) => readTensor(join(dir, set, `input_${i}.pb`))));
    const constantInputs = Object.fromEntries(info.inputs.slice(1).map((v, i) => [v.name, inputs[i + 1]!]));
    const x = inputs[0]!;
    const batch = x.dims[0]!;
    for (let k = 0; k < info.outputs.length; k++) {
      const expected = (await readTensor(join(dir, set, `output_${k}.pb`))).data;
      const bytes = await convertGraph(model, { constantInputs, output: k });
      const engine = await Engine.create(module);
      await engine.load(bytes, batch);
      const [got] = engine.run('decode', Float32Array.from(x.data), batch);
      expect(got!.length).toBe(expected.length);
      let err = 0;
      let scale = 1;
      for (let i = 0; i < expected.length; i++) {
        err = Math.max(err, Math.abs(got![i]! - expected[i]!));
        scale = Math.max(scale, Math.abs(expected[i]!));
      }
      worst = Math.max(worst, err / scale);
    }
  }
  return worst;
}

/** The converter's refusal for an excluded case (first refused output), or null when all outputs convert. */
async function refusal(name: string): Promise<string | null> {
  const dir = join(DATA, name);
  const model = join(dir, 'model.onnx');
  let constantInputs: Record<string, ConstTensor> = {};
  let outputs = 1;
  try {
    const info = await loadOnnx(model);
    outputs = info.outputs.length;
    const set = join(dir, 'test_data_set_0');
    constantInputs = Object.fromEntries(await Promise.all(info.inputs.slice(1).map(async (v, i) => [v.name, await readTensor(join(set, `input_${i + 1}.pb`))] as const)));
  } catch (e) {
    return (e as Error).message; // refused while loading
  }
  for (let k = 0; k < outputs; k++) {
    try {
      await convertGraph(model, { constantInputs, output: k });
    } catch (e) {
      return (e as Error).message;
    }
  }
  return null;
}

const scope = inScope();
const excluded = new Map(EXCLUSIONS.flatMap((ex) => ex.cases.map((c) => [c, ex] as const)));
const passing = scope.filter((c) => !excluded.has(c));
let module: WebAssembly.Module | undefined;
const getModule = async () => (module ??= await WebAssembly.compile(readFileSync(WASM)));
let worstOverall = 0;

describe.skipIf(!available)('ONNX conformance (libonnx-testdata)', () => {
  afterAll(() => {
    console.log(`conformance: ${scope.length} in scope, ${passing.length} pass, ${excluded.size} excluded (${EXCLUSIONS.length} reasons); worst relative error ${worstOverall.toExponential(2)}`);
  });

  it('exclusion list names only in-scope cases, once each', () => {
    const all = EXCLUSIONS.flatMap((ex) => ex.cases);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((c) => !scope.includes(c))).toEqual([]);
    expect(passing.length).toBeGreaterThan(50);
  });

  for (const name of passing) {
    it(`${name} matches the reference outputs`, async () => {
      const worst = await runCase(name, await getModule());
      worstOverall = Math.max(worstOverall, worst);
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  for (const [name, ex] of excluded) {
    if (ex.mismatch) {
      it(`${name} differs from the reference: ${ex.reason}`, async () => {
        expect(await runCase(name, await getModule())).toBeGreaterThan(TOLERANCE);
      });
      continue;
    }
    it(`${name} is refused: ${ex.reason}`, async () => {
      const message = await refusal(name);
      expect(message, `${name} converted although it is listed as excluded`).not.toBeNull();
      expect(message).toMatch(ex.error!);
    });
  }
});
