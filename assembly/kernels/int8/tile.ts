// Inner loops of the integer kernels: accumulate a list of taps (kernels/int8/scratch.ts tapList: input
// rows of up to two output pixels and the packed weight block, kernels/int8/pack.ts) into the per-channel
// i32 accumulators accBuf, acc1Buf (pixels 0, 1). Input rows hold (x - zp) as i16, so every
// step is load + i32x4.dot_i16x8_s + add; the pixels of a tile share each weight load. Integer adds wrap, so
// the order of the sum does not change the result. Names say operand type and tile: dot_i16_2px16c multiplies
// i16 channel pairs (wide layout) for 2 output pixels, 16 output channels per block (then a last block of 8);
// dot_i8_* the relaxed build's quads of 7-bit i8 channels.
import { accBuf, acc1Buf, tapList, TAP_ENTRY_BYTES } from './scratch';

@inline function entry(t: u32): usize { return tapList + <usize>t * TAP_ENTRY_BYTES; }
@inline function mac(a: v128, w: v128, x: v128): v128 { return i32x4.add(a, i32x4.dot_i16x8_s(w, x)); }
/**
 * Quad layout (relaxed build): four products per lane. x holds 7-bit values (0..127), the range in which every
 * engine computes this instruction exactly (x86 multiplies it as unsigned bytes: the same values).
 */
@inline function macQuad(a: v128, w: v128, x: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, a);
  else return a; // the fixed build never packs quads
}
@inline function step(a: v128, w: v128, x: v128, quad: bool): v128 { return quad ? macQuad(a, w, x) : mac(a, w, x); }

/** Wide layout (i16 pairs), two pixels: channels [0, cogP) in blocks of 16 (and a last block of 8). */
export function dot_i16_2px16c(taps: u32, pairs: u32, cogP: u32): void { dot2px16c(taps, pairs, cogP, false); }
/** Quad layout (7-bit i8, relaxed build), two pixels; `quads`: groups of four input channels. */
export function dot_i8_2px16c(taps: u32, quads: u32, cogP: u32): void { dot2px16c(taps, quads, cogP, true); }

@inline function dot2px16c(taps: u32, pairs: u32, cogP: u32, quad: bool): void {
  const pairRow = <usize>cogP << 2; // bytes per input-channel pair
  let co: u32 = 0;
  for (; co + 16 <= cogP; co += 16) {
    const p0 = accBuf + (<usize>co << 2), p1 = acc1Buf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16), a2 = v128.load(p0, 32), a3 = v128.load(p0, 48);
    let b0 = v128.load(p1), b1 = v128.load(p1, 16), b2 = v128.load(p1, 32), b3 = v128.load(p1, 48);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0), s1 = v128.load32_splat(x1);
        const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
        a0 = step(a0, w0, s0, quad); a1 = step(a1, w1, s0, quad); a2 = step(a2, w2, s0, quad); a3 = step(a3, w3, s0, quad);
        b0 = step(b0, w0, s1, quad); b1 = step(b1, w1, s1, quad); b2 = step(b2, w2, s1, quad); b3 = step(b3, w3, s1, quad);
        x0 += 4; x1 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p0, a2, 32); v128.store(p0, a3, 48);
    v128.store(p1, b0); v128.store(p1, b1, 16); v128.store(p1, b2, 32); v128.store(p1, b3, 48);
  }
  if (!quad && co < cogP) { // the last 8 channels (quads: cogP is a multiple of 16)
    const p0 = accBuf + (<usize>co << 2), p1 = acc1Buf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16), b0 = v128.load(p1), b1 = v128.load(p1, 16);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0), s1 = v128.load32_splat(x1);
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        a0 = step(a0, w0, s0, quad); a1 = step(a1, w1, s0, quad); b0 = step(b0, w0, s1, quad); b1 = step(b1, w1, s1, quad);
        x0 += 4; x1 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p1, b0); v128.store(p1, b1, 16);
  }
}

/** Wide layout (i16 pairs), pixel 0 only. */
export function dot_i16_1px16c(taps: u32, pairs: u32, cogP: u32): void { dot1px16c(taps, pairs, cogP, false); }
/** Quad layout (7-bit i8, relaxed build), pixel 0 only. */
export function dot_i8_1px16c(taps: u32, quads: u32, cogP: u32): void { dot1px16c(taps, quads, cogP, true); }

@inline function dot1px16c(taps: u32, pairs: u32, cogP: u32, quad: bool): void {
  const pairRow = <usize>cogP << 2; // bytes per input-channel pair
  let co: u32 = 0;
  for (; co + 16 <= cogP; co += 16) {
    const p0 = accBuf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16), a2 = v128.load(p0, 32), a3 = v128.load(p0, 48);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0);
        a0 = step(a0, v128.load(wp), s0, quad); a1 = step(a1, v128.load(wp, 16), s0, quad);
        a2 = step(a2, v128.load(wp, 32), s0, quad); a3 = step(a3, v128.load(wp, 48), s0, quad);
        x0 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p0, a2, 32); v128.store(p0, a3, 48);
  }
  if (!quad && co < cogP) {
    const p0 = accBuf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0);
        a0 = step(a0, v128.load(wp), s0, quad); a1 = step(a1, v128.load(wp, 16), s0, quad);
        x0 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16);
  }
}

/** Zeroes `bytes` at p, rounded up to a multiple of 32: a plain loop, as memory.fill is a slow out-of-line call for small sizes. */
export function zeroAcc(p: usize, bytes: usize): void {
  const z = i32x4.splat(0);
  for (let o: usize = 0; o < bytes; o += 32) { v128.store(p + o, z); v128.store(p + o, z, 16); }
}

/** Relaxed build: `cig` 7-bit i8 channels as bytes max(x, 0) into out, zero-padded to a multiple of 8 channels. */
export function packInputRowU7(x: usize, cig: u32, out: usize): void {
  // max(x, 0) keeps the dot's operand in 0..127 whatever the file holds (the exactness of relaxed_dot rests on it)
  const z = i8x16.splat(0);
  let ci: u32 = 0;
  for (; ci + 16 <= cig; ci += 16) v128.store(out + ci, i8x16.max_s(v128.load(x + ci), z));
  for (; ci < cig; ci++) store<i8>(out + ci, max<i8>(load<i8>(x + ci), 0));
  for (; ci & 7; ci++) store<u8>(out + ci, 0);
}

/** (x - zp) of `cig` i8 channels as i16 into out, zero-padded to a multiple of 8 channels. */
export function packInputRow(x: usize, zp: i32, cig: u32, out: usize): void {
  const zps = i16x8.splat(<i16>zp);
  let ci: u32 = 0;
  for (; ci + 8 <= cig; ci += 8) v128.store(out + (<usize>ci << 1), i16x8.sub(v128.load8x8_s(x + ci), zps));
  for (; ci < cig; ci++) store<i16>(out + (<usize>ci << 1), <i16>(<i32>load<i8>(x + ci) - zp));
  for (; ci & 7; ci++) store<i16>(out + (<usize>ci << 1), 0);
}
