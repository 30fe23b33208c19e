// The gather-form driver shared by CONV2D and CONV_TRANSPOSE. Output pixels are split into classes whose
// pixels all see the same kernel taps: the whole output for CONV2D, one stride phase (oy mod sH, ox mod sW)
// for CONV_TRANSPOSE. A class is a grid of output pixels (row j, column i) where pixel (j, i) reads input
// row iy0 + j*iyStep + a*iyTap for its a-th valid kernel row ky = ky0 + a*kyStep (same for columns).
// Pixels go four at a time (a quad); for each quad the taps any of its pixels sees are listed once and
// conv_f32_4px does the channel math. A tap a pixel does not see points it at a block of zeros.
import { tapBuffer, zeroBuffer, dummyOutput } from '../model';
import { conv_f32_4px, TAP_BYTES } from './conv_tile';
import { inTeam, teamIndex, teamSize, shareStart } from '../team';
import { ConvGeometry } from './conv_geometry';

// The op (beginGatherOp) and the group and channel chunk (beginGatherPass) being run. Module globals: in the
// threaded build each team member is its own instance, so these are per member, and the tap loops read them
// without a memory load.
let inX: usize = 0, inH: i32 = 0, inW: i32 = 0, pixelIn: usize = 0, cig: u32 = 0;
let outY: usize = 0, outW: i32 = 0, pixelOut: usize = 0;
let kh: i32 = 0, kw: i32 = 0, kyStep: i32 = 1, kxStep: i32 = 1, iyTap: i32 = 0, ixTap: i32 = 0;
let mergeRows = false;
let floor = f32x4.splat(-Infinity);
let weights: usize = 0, channelBytes: usize = 0, bias: usize = 0, coBegin: u32 = 0, coEnd: u32 = 0;

// Quad scratch, four i32 per field: a regular quad's input rows and columns (of the pixels' first taps), the
// pending quad's rows, columns and output addresses, and the pixels' input row addresses for one ky.
// Threaded build: each team member has its own copy (setQuadScratch), the static block is member 0's until then.
const staticScratch = memory.data(96, 16);
let threadScratch: usize = staticScratch;
export function setQuadScratch(p: usize): void { threadScratch = p; }
@inline function scratch(): usize { return ASC_FEATURE_THREADS ? threadScratch : staticScratch; }
@inline function regular(): usize { return scratch(); }
@inline function pending(): usize { return scratch() + 32; }
@inline function pendingOut(): usize { return scratch() + 64; }
@inline function rowAddr(): usize { return scratch() + 80; }
export const QUAD_SCRATCH_BYTES: usize = 96;

/**
 * The op: its geometry, the tap progression of a class (conv.ts: every kyStep-th kernel row, the input row
 * moving by iyTap per tap; same for columns). `merge`: whole kernel rows may be one tap (kx step 1 moving one
 * input column, one group). `relu`: fused into the stores.
 */
export function beginGatherOp(geom: ConvGeometry, kyS: i32, kxS: i32, iyT: i32, ixT: i32, merge: bool, relu: bool): void {
  const Cig = <u32>geom.inC / <u32>geom.groups;
  inH = geom.inH; inW = geom.inW; pixelIn = <usize>geom.inC << 2; cig = Cig;
  outW = geom.outW; pixelOut = <usize>geom.outC << 2;
  kh = geom.kernelH; kw = geom.kernelW; kyStep = kyS; kxStep = kxS; iyTap = iyT; ixTap = ixT;
  mergeRows = merge;
  floor = f32x4.splat(relu ? 0 : -Infinity);
  channelBytes = <usize>(kh * kw) * Cig * 4;
}

/** x, y: the group's first channel of the sample's input and output; w, b: its packed weights and bias (or 0); channels [c0, c1). */
export function beginGatherPass(x: usize, y: usize, w: usize, b: usize, c0: u32, c1: u32): void {
  inX = x; outY = y; weights = w; bias = b; coBegin = c0; coEnd = c1;
}

/**
 * Lists the taps of a quad (input rows at `quad`, columns at quad + 16; kernel rows from ky0, columns
 * from kx0) into the tap buffer; returns their count.
 */
function listTaps(quad: usize, ky0: i32, kx0: i32): u32 {
  const quadRows = quad, quadCols = quad + 16;
  const taps = tapBuffer;
  // Whole kernel rows are one tap when every pixel sees all kw columns of it.
  let merge = mergeRows;
  for (let s: usize = 0; s < 16 && merge; s += 4) {
    const c = load<i32>(quadCols + s);
    merge = c >= 0 && c + kw <= inW;
  }
  let n: u32 = 0;
  for (let ky = ky0, a = 0; ky < kh; ky += kyStep, a += iyTap) {
    let some = false, all = true;
    for (let s: usize = 0; s < 16; s += 4) {
      const iy = load<i32>(quadRows + s) + a;
      const inside = iy >= 0 && iy < inH;
      store<u32>(rowAddr() + s, inside ? <u32>(inX + <usize>(iy * inW) * pixelIn) : 0);
      some = some || inside;
      all = all && inside;
    }
    if (!some) continue;
    if (merge && all) {
      const t = taps + <usize>n * TAP_BYTES;
      for (let s: usize = 0; s < 16; s += 4) {
        store<u32>(t + s, load<u32>(rowAddr() + s) + <u32>(<usize>load<i32>(quadCols + s) * pixelIn));
      }
      store<u32>(t, ky * kw * cig * 4, 16);
      store<u32>(t, kw * cig * 4, 20);
      n++;
      continue;
    }
    for (let kx = kx0, b = 0; kx < kw; kx += kxStep, b += ixTap) {
      const t = taps + <usize>n * TAP_BYTES;
      let seen = false;
      for (let s: usize = 0; s < 16; s += 4) {
        const row = <usize>load<u32>(rowAddr() + s), ix = load<i32>(quadCols + s) + b;
        const inside = row != 0 && ix >= 0 && ix < inW;
        store<u32>(t + s, <u32>(inside ? row + <usize>ix * pixelIn : zeroBuffer));
        seen = seen || inside;
      }
      if (!seen) continue;
      store<u32>(t, (ky * kw + kx) * cig * 4, 16);
      store<u32>(t, cig * 4, 20);
      n++;
    }
  }
  return n;
}

/**
 * One class: output rows oy0 + j*oyStep (j < rows), columns ox0 + i*oxStep (i < cols); pixel (j, i) starts at
 * input (iy0 + j*iyStep, ix0 + i*ixStep) with kernel tap (ky0, kx0). ky0 == kh (or kx0 == kw): no tap, bias only.
 * Four adjacent pixels of a row that all see every kernel column form a regular quad: its tap list is the
 * previous regular quad's of the row moved right by four pixels, so the taps are shifted instead of listed.
 * The other pixels (image borders, row ends) queue into a pending quad, listed whenever it is full.
 */
export function convClass(
  oy0: i32, oyStep: i32, rows: i32, ox0: i32, oxStep: i32, cols: i32,
  iy0: i32, iyStep: i32, ix0: i32, ixStep: i32, ky0: i32, kx0: i32,
): void {
  // Input columns a pixel's taps reach, relative to its first one: [minOff, maxOff].
  const kxCount = kx0 < kw ? (kw - kx0 + kxStep - 1) / kxStep : 1;
  const lastOff = (kxCount - 1) * ixTap;
  const minOff = min(0, lastOff), maxOff = max(0, lastOff);
  const shift = i32x4.splat(<i32>(<usize>(4 * ixStep) * pixelIn));
  const stepOut = <usize>oxStep * pixelOut;
  let n: u32 = 0;
  let queued: usize = 0; // bytes of the pending quad's fields in use (4 per pixel)
  let jBegin = 0, jEnd = rows;
  if (inTeam()) {
    // this member's rows; the pending quad is exactly the one a single thread would hold at row jBegin
    jBegin = shareStart(rows, teamIndex); jEnd = shareStart(rows, teamIndex + 1);
    queued = replayPending(jBegin, oy0, oyStep, ox0, cols, iy0, iyStep, ix0, ixStep, minOff, maxOff, stepOut);
  }
  for (let j = jBegin; j < jEnd; j++) {
    const iy = iy0 + j * iyStep;
    const rowOut = outY + <usize>((oy0 + j * oyStep) * outW + ox0) * pixelOut;
    let listed = false; // the tap buffer holds this row's last regular quad
    for (let i = 0; i < cols;) {
      const c = ix0 + i * ixStep;
      const y0 = rowOut + <usize>i * stepOut;
      if (i + 4 <= cols && c + minOff >= 0 && c + 3 * ixStep + maxOff < inW) {
        if (listed) {
          const end = tapBuffer + <usize>n * TAP_BYTES;
          for (let t = tapBuffer; t < end; t += TAP_BYTES) v128.store(t, i32x4.add(v128.load(t), shift));
        } else {
          v128.store(regular(), i32x4.splat(iy));
          v128.store(regular() + 16, i32x4.add(i32x4.splat(c), i32x4.mul(i32x4.splat(ixStep), i32x4(0, 1, 2, 3))));
          n = listTaps(regular(), ky0, kx0);
          listed = true;
        }
        conv_f32_4px(tapBuffer, n, coBegin, coEnd, weights, channelBytes, bias, y0, y0 + stepOut, y0 + 2 * stepOut, y0 + 3 * stepOut,
          floor);
        i += 4;
        continue;
      }
      store<i32>(pending() + queued, iy);
      store<i32>(pending() + queued, c, 16);
      store<u32>(pending() + queued, <u32>y0, 32);
      queued += 4;
      i++;
      if (queued == 16) {
        runPending(ky0, kx0);
        queued = 0;
        listed = false;
      }
    }
  }
  if (queued == 0) return;
  if (inTeam() && jEnd < rows) return; // the next member completes this quad (replayPending)
  // Fill the last pending quad with copies of its pixel 0 (valid addresses) whose results go to the dummy block.
  for (; queued < 16; queued += 4) {
    store<i32>(pending() + queued, load<i32>(pending()));
    store<i32>(pending() + queued, load<i32>(pending(), 16), 16);
    store<u32>(pending() + queued, <u32>dummyOutput, 32);
  }
  runPending(ky0, kx0);
}

/**
 * Threaded build: queues the pending pixels a single thread would still hold on reaching row j0 of a class (the
 * same conditions as convClass), so a team member starting at j0 forms the same quads, and every pixel gets the
 * same tap list (thus the same sums, bit for bit) as with one thread. Every row has the same P pending pixels, so
 * the queue is empty at each row that is a multiple of m = 4 / gcd(P, 4): replaying from there takes < 4 rows.
 * Returns the bytes queued.
 */
function replayPending(j0: i32, oy0: i32, oyStep: i32, ox0: i32, cols: i32, iy0: i32, iyStep: i32, ix0: i32, ixStep: i32,
  minOff: i32, maxOff: i32, stepOut: usize): usize {
  let perRow = 0;
  for (let i = 0; i < cols;) {
    const c = ix0 + i * ixStep;
    if (i + 4 <= cols && c + minOff >= 0 && c + 3 * ixStep + maxOff < inW) i += 4;
    else { perRow++; i++; }
  }
  const m = (perRow & 3) == 0 ? 1 : (perRow & 1) == 0 ? 2 : 4;
  let queued: usize = 0;
  for (let j = j0 - j0 % m; j < j0; j++) {
    const iy = iy0 + j * iyStep;
    const rowOut = outY + <usize>((oy0 + j * oyStep) * outW + ox0) * pixelOut;
    for (let i = 0; i < cols;) {
      const c = ix0 + i * ixStep;
      if (i + 4 <= cols && c + minOff >= 0 && c + 3 * ixStep + maxOff < inW) { i += 4; continue; }
      store<i32>(pending() + queued, iy);
      store<i32>(pending() + queued, c, 16);
      store<u32>(pending() + queued, <u32>(rowOut + <usize>i * stepOut), 32);
      queued = (queued + 4) & 15; // a full quad was run by the member whose rows completed it
      i++;
    }
  }
  return queued;
}

function runPending(ky0: i32, kx0: i32): void {
  const n = listTaps(pending(), ky0, kx0);
  conv_f32_4px(tapBuffer, n, coBegin, coEnd, weights, channelBytes, bias,
    load<u32>(pendingOut()), load<u32>(pendingOut(), 4), load<u32>(pendingOut(), 8), load<u32>(pendingOut(), 12), floor);
}
