// Import of nearest-neighbour Resize/Upsample with integer scales (the kernel repeats pixels).
import type { ActGetter, AttrGetter, Fail, OptConstGetter, Slot } from './import-context.js';
import { addValue, type Graph } from './ir.js';
import type { OnnxNode } from './onnx-load.js';

export function importResize(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail,
  act: ActGetter, optCst: OptConstGetter, attr: AttrGetter, opset: number,
): number {
  const x = act(ins[0], 'X');
  const shape = g.values[x]!.shape;
  const isUpsample = node.opType === 'Upsample';
  const mode = attr('mode', 'nearest');
  if (mode !== 'nearest') fail(`mode "${mode}" is not supported (only nearest)`);
  if (attr('antialias', 0)) fail('antialias is not supported');
  if (node.attrs.has('axes')) fail('the axes attribute is not supported');
  // Upsample and Resize-10 have no coordinate attributes: asymmetric source coordinates, rounded down.
  const legacy = isUpsample || opset < 11;
  const ctm = legacy ? 'asymmetric' : attr('coordinate_transformation_mode', 'half_pixel');
  const nearestMode = legacy ? 'floor' : attr('nearest_mode', 'round_prefer_floor');
  if (shape.length !== 3) fail(`only 4D (N,C,H,W) inputs are supported, per-sample shape is [${shape}]`);
  const [C, H, W] = shape as [number, number, number];
  const scalesT = optCst(ins[isUpsample ? 1 : opset >= 11 ? 2 : 1], 'scales');
  const sizesT = isUpsample ? undefined : optCst(ins[3], 'sizes');
  let sH: number;
  let sW: number;
  if (scalesT && scalesT.data.length > 0) {
    const s = Array.from(scalesT.data);
    if (s.length !== 4) fail(`expected 4 scales, got ${s.length}`);
    if (s[0] !== 1 || s[1] !== 1) fail(`scales [${s}] resize the batch or channel axis`);
    [sH, sW] = [s[2]!, s[3]!];
  } else if (sizesT) {
    const s = Array.from(sizesT.data);
    if (s.length !== 4) fail(`expected 4 sizes, got ${s.length}`);
    if (s[1] !== C) fail(`sizes [${s}] resize the channel axis`);
    if (attr('keep_aspect_ratio_policy', 'stretch') !== 'stretch') fail('keep_aspect_ratio_policy other than stretch is not supported');
    [sH, sW] = [s[2]! / H, s[3]! / W];
  } else return fail('needs scales or sizes');
  if (!Number.isInteger(sH) || !Number.isInteger(sW) || sH < 1 || sW < 1) fail(`scales ${sH}x${sW} are not integer upsampling factors`);
  // Before the per-pixel check below, which would otherwise loop over a hostile output size.
  const outCount = C * H * sH * W * sW;
  if (outCount > 2 ** 26) fail(`output [${C},${H * sH},${W * sW}] has ${outCount} values, more than the 2^26 a tensor may hold`);
  if (ctm === 'tf_crop_and_resize') fail('coordinate_transformation_mode "tf_crop_and_resize" is not supported');
  // The kernel repeats each pixel (source = floor(out / scale)); accept the modes that compute exactly that.
  for (const [n, s] of [[H, sH], [W, sW]] as const) {
    for (let o = 0; o < n * s; o++) {
      if (nearestSource(o, s, n, ctm, nearestMode) !== Math.floor(o / s)) {
        fail(`coordinate_transformation_mode "${ctm}" with nearest_mode "${nearestMode}" does not repeat pixels (not supported)`);
      }
    }
  }
  const out = addValue(g, node.outputs[0]!, [C, H * sH, W * sW]);
  g.nodes.push({ op: 'resize', a: x, out, name: node.name, sH, sW });
  return out;
}

/** Source index of output `o` for ONNX nearest resize along one axis of length n scaled by s. */
function nearestSource(o: number, s: number, n: number, ctm: string, nearestMode: string): number {
  const outLen = n * s;
  let x: number;
  switch (ctm) {
    case 'half_pixel': case 'pytorch_half_pixel': x = outLen > 1 || ctm === 'half_pixel' ? (o + 0.5) / s - 0.5 : 0; break;
    case 'align_corners': x = outLen === 1 ? 0 : (o * (n - 1)) / (outLen - 1); break;
    case 'asymmetric': x = o / s; break;
    case 'half_pixel_symmetric': { const adj = outLen / (s * n); const c = n / 2; x = c * (1 - adj) + (o + 0.5) / s - 0.5; break; }
    default: return -1;
  }
  let i: number;
  switch (nearestMode) {
    case 'round_prefer_floor': i = x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x); break;
    case 'round_prefer_ceil': i = x - Math.floor(x) === 0.5 ? Math.ceil(x) : Math.round(x); break;
    case 'floor': i = Math.floor(x); break;
    case 'ceil': i = Math.ceil(x); break;
    default: return -1;
  }
  return Math.min(Math.max(i, 0), n - 1);
}
