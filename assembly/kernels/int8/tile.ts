// Inner loops of the integer kernels: accumulate a list of taps (kernels/int8/scratch.ts tapList: input
// rows of up to two output pixels and the packed weight block, kernels/int8/pack.ts) into the per-channel
// i32 accumulators accBuf, acc1Buf (pixels 0, 1). Input rows hold (x - zp) as i16, so every
// step is load + i32x4.dot_i16x8_s + add; the pixels of a tile share each weight load. Integer adds wrap, so
// the order of the sum does not change the result.
import { accBuf, acc1Buf, tapList, TAP_ENTRY_BYTES } from './scratch';

@inline function entry(t: u32): usize { return tapList + <usize>t * TAP_ENTRY_BYTES; }
@inline function mac(a: v128, w: v128, x: v128): v128 { return i32x4.add(a, i32x4.dot_i16x8_s(w, x)); }

/** Wide layout, two pixels: channels [0, cogP) in blocks of 16 (and a last block of 8). */
export function accumulateWide2(taps: u32, pairs: u32, cogP: u32): void {
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
        a0 = mac(a0, w0, s0); a1 = mac(a1, w1, s0); a2 = mac(a2, w2, s0); a3 = mac(a3, w3, s0);
        b0 = mac(b0, w0, s1); b1 = mac(b1, w1, s1); b2 = mac(b2, w2, s1); b3 = mac(b3, w3, s1);
        x0 += 4; x1 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p0, a2, 32); v128.store(p0, a3, 48);
    v128.store(p1, b0); v128.store(p1, b1, 16); v128.store(p1, b2, 32); v128.store(p1, b3, 48);
  }
  if (co < cogP) { // the last 8 channels
    const p0 = accBuf + (<usize>co << 2), p1 = acc1Buf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16), b0 = v128.load(p1), b1 = v128.load(p1, 16);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0), s1 = v128.load32_splat(x1);
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        a0 = mac(a0, w0, s0); a1 = mac(a1, w1, s0); b0 = mac(b0, w0, s1); b1 = mac(b1, w1, s1);
        x0 += 4; x1 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p1, b0); v128.store(p1, b1, 16);
  }
}

/** Wide layout, pixel 0 only. */
export function accumulateWide1(taps: u32, pairs: u32, cogP: u32): void {
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
        a0 = mac(a0, v128.load(wp), s0); a1 = mac(a1, v128.load(wp, 16), s0);
        a2 = mac(a2, v128.load(wp, 32), s0); a3 = mac(a3, v128.load(wp, 48), s0);
        x0 += 4; wp += pairRow;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p0, a2, 32); v128.store(p0, a3, 48);
  }
  if (co < cogP) {
    const p0 = accBuf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16);
    for (let t: u32 = 0; t < taps; t++) {
      const e = entry(t);
      let x0 = <usize>load<u32>(e);
      let wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let p: u32 = 0; p < pairs; p++) {
        const s0 = v128.load32_splat(x0);
        a0 = mac(a0, v128.load(wp), s0); a1 = mac(a1, v128.load(wp, 16), s0);
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

/** (x - zp) of `cig` i8 channels as i16 into out, zero-padded to a multiple of 8 channels. */
export function packInputRow(x: usize, zp: i32, cig: u32, out: usize): void {
  const zps = i16x8.splat(<i16>zp);
  let ci: u32 = 0;
  for (; ci + 8 <= cig; ci += 8) v128.store(out + (<usize>ci << 1), i16x8.sub(v128.load8x8_s(x + ci), zps));
  for (; ci < cig; ci++) store<i16>(out + (<usize>ci << 1), <i16>(<i32>load<i8>(x + ci) - zp));
  for (; ci & 7; ci++) store<i16>(out + (<usize>ci << 1), 0);
}
