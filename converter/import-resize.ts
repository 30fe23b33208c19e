// Import of Resize/Upsample: nearest with integer scales that repeat pixels becomes RESIZE_NEAREST (fast, and it
// stays int8); anything else (linear, nearest with other scales or coordinate modes) the general RESIZE.
import { ResizeMode } from '../runtime/format-constants.js';
import { reshapeTo, type ActGetter, type AttrGetter, type Fail, type OptConstGetter, type Slot } from './import-context.js';
import { addValue, type Graph, type ResizeAxis } from './ir.js';
import type { OnnxNode } from './onnx-load.js';

export function importResize(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail,
  act: ActGetter, optCst: OptConstGetter, attr: AttrGetter, opset: number,
): number {
  const x0 = act(ins[0], 'X');
  // (N,C,L) is resized as (N,C,1,L): a 1 is inserted for the height in scales and sizes
  const oneD = g.values[x0]!.shape.length === 2;
  const lift = (v: number[]) => (oneD && v.length === 3 ? [v[0]!, v[1]!, 1, v[2]!] : v);
  const x = oneD ? reshapeTo(g, x0, [g.values[x0]!.shape[0]!, 1, g.values[x0]!.shape[1]!], `${node.outputs[0]}:as2d`) : x0;
  const shape = g.values[x]!.shape;
  const result = (id: number) => (oneD ? reshapeTo(g, id, [shape[0]!, g.values[id]!.shape[2]!], node.outputs[0]!) : id);
  const isUpsample = node.opType === 'Upsample';
  const mode = attr('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') fail(`mode "${mode}" is not supported (nearest, linear)`);
  if (attr('antialias', 0)) fail('antialias is not supported');
  if (node.attrs.has('axes')) fail('the axes attribute is not supported');
  // Upsample and Resize-10 have no coordinate attributes: asymmetric source coordinates, rounded down.
  const legacy = isUpsample || opset < 11;
  const ctm = legacy ? 'asymmetric' : attr('coordinate_transformation_mode', 'half_pixel');
  const nearestMode = legacy ? 'floor' : attr('nearest_mode', 'round_prefer_floor');
  if (shape.length !== 3) fail(`only 3D (N,C,L) and 4D (N,C,H,W) inputs are supported, per-sample shape is [${shape}]`);
  const [C, H, W] = shape as [number, number, number];
  const scalesT = optCst(ins[isUpsample ? 1 : opset >= 11 ? 2 : 1], 'scales');
  const sizesT = isUpsample ? undefined : optCst(ins[3], 'sizes');
  let sH: number;
  let sW: number;
  let outH: number;
  let outW: number;
  if (scalesT && scalesT.data.length > 0) {
    const s = lift(Array.from(scalesT.data));
    if (s.length !== 4) fail(`expected ${oneD ? 3 : 4} scales, got ${scalesT.data.length}`);
    if (s[0] !== 1 || s[1] !== 1) fail(`scales [${s}] resize the batch or channel axis`);
    [sH, sW] = [s[2]!, s[3]!];
    outH = Math.floor(Math.fround(sH * H));
    outW = Math.floor(Math.fround(sW * W));
  } else if (sizesT) {
    const s = lift(Array.from(sizesT.data));
    if (s.length !== 4) fail(`expected ${oneD ? 3 : 4} sizes, got ${sizesT.data.length}`);
    if (s[1] !== C) fail(`sizes [${s}] resize the channel axis`);
    if (attr('keep_aspect_ratio_policy', 'stretch') !== 'stretch') fail('keep_aspect_ratio_policy other than stretch is not supported');
    [outH, outW] = [s[2]!, s[3]!];
    // as onnxruntime: the scale is the f32 ratio of the sizes
    [sH, sW] = [Math.fround(outH / H), Math.fround(outW / W)];
  } else return fail('needs scales or sizes');
  if (!(sH > 0) || !(sW > 0) || !Number.isFinite(sH) || !Number.isFinite(sW)) fail(`scales ${sH}x${sW} must be positive`);
  if (outH < 1 || outW < 1) fail(`output ${outH}x${outW} would be empty`);
  // Before the per-pixel check below, which would otherwise loop over a hostile output size.
  const outCount = C * outH * outW;
  if (outCount > 2 ** 26) fail(`output [${C},${outH},${outW}] has ${outCount} values, more than the 2^26 a tensor may hold`);
  if (ctm === 'tf_crop_and_resize') fail('coordinate_transformation_mode "tf_crop_and_resize" is not supported');
  const nearest = mode === 'nearest';
  // Integer upsampling that repeats each pixel (source = floor(out / scale)): the fast RESIZE_NEAREST.
  const repeats = nearest && [[H, sH, outH], [W, sW, outW]].every(([n, s, o]) => {
    if (!Number.isInteger(s) || s! < 1 || o !== n! * s!) return false;
    for (let i = 0; i < o!; i++) if (nearestSource(i, s!, n!, ctm, nearestMode) !== Math.floor(i / s!)) return false;
    return true;
  });
  if (repeats) {
    const out = addValue(g, oneD ? `${node.outputs[0]}:2d` : node.outputs[0]!, [C, outH, outW]);
    g.nodes.push({ op: 'resize', a: x, out, name: node.name, sH, sW });
    return result(out);
  }
  const NEAREST: Record<string, ResizeMode> = {
    round_prefer_floor: ResizeMode.RoundPreferFloor, round_prefer_ceil: ResizeMode.RoundPreferCeil, floor: ResizeMode.Floor, ceil: ResizeMode.Ceil,
  };
  const rmode = nearest ? NEAREST[nearestMode] : ResizeMode.Linear;
  if (rmode === undefined) fail(`nearest_mode "${nearestMode}" is not supported`);
  const axis = (n: number, o: number, s: number): ResizeAxis => {
    const sf = Math.fround(s);
    // Lengths are the output sizes, as onnxruntime and PyTorch compute them (the ONNX reference takes input * scale unrounded).
    if (sf < 2 ** -16 || sf > 2 ** 16 || n > 65537 || o > 65537) fail(`scale ${s} (size ${n} -> ${o}) is outside the supported range`);
    switch (ctm) {
      case 'half_pixel': return { p: 0.5, m: 1, d: sf, q: 0.5 };
      case 'pytorch_half_pixel': return o > 1 ? { p: 0.5, m: 1, d: sf, q: 0.5 } : { p: 0, m: 0, d: 1, q: 0 };
      case 'asymmetric': return { p: 0, m: 1, d: sf, q: 0 };
      case 'tf_half_pixel_for_nn': return { p: 0.5, m: 1, d: sf, q: 0 };
      case 'align_corners': return o > 1 ? { p: 0, m: n - 1, d: o - 1, q: 0 } : { p: 0, m: 0, d: 1, q: 0 };
      default: return fail(`coordinate_transformation_mode "${ctm}" is not supported`);
    }
  };
  const out = addValue(g, oneD ? `${node.outputs[0]}:2d` : node.outputs[0]!, [C, outH, outW]);
  g.nodes.push({ op: 'resizeAny', a: x, out, name: node.name, mode: rmode!, h: axis(H, outH, sH), w: axis(W, outW, sW) });
  return result(out);
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
