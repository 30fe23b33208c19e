// Depthwise CONV2D (groups == Ci == Co) on one HWC sample. The generic kernel would see one channel
// per group; here channels are the vector dimension instead, with weights repacked at load to
// [KH*KW, C] (packDepthwiseWeights) so each tap is a contiguous row. Accumulates in the output pixel.
import { ConvGeometry } from './conv_geometry';

/** Format weights [C, KH, KW, 1, 1] -> [KH*KW, C]. */
export function packDepthwiseWeights(w: usize, out: usize, C: u32, taps: u32): void {
  for (let c: u32 = 0; c < C; c++) {
    for (let t: u32 = 0; t < taps; t++) {
      store<f32>(out + (<usize>(t * C + c) << 2), load<f32>(w + (<usize>(c * taps + t) << 2)));
    }
  }
}

export function depthwiseConv2d(x: usize, w: usize, bias: usize, y: usize, geom: ConvGeometry): void {
  const C = <u32>geom.inC, H = geom.inH, W = geom.inW, OH = geom.outH, OW = geom.outW;
  const kh = geom.kernelH, kw = geom.kernelW, sh = geom.strideH, sw = geom.strideW;
  const pt = geom.padTop, pl = geom.padLeft, dh = geom.dilationH, dw = geom.dilationW;
  const pixel = <usize>C << 2;
  const vecBytes = pixel & ~(<usize>15);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const out = y + <usize>(oy * OW + ox) * pixel;
      if (bias) memory.copy(out, bias, pixel);
      else memory.fill(out, 0, pixel);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - pt + ky * dh;
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pl + kx * dw;
          if (ix < 0 || ix >= W) continue;
          const xp = x + <usize>(iy * W + ix) * pixel;
          const wp = w + <usize>(ky * kw + kx) * pixel;
          let i: usize = 0;
          for (; i < vecBytes; i += 16) {
            v128.store(out + i, f32x4.add(v128.load(out + i), f32x4.mul(v128.load(xp + i), v128.load(wp + i))));
          }
          for (; i < pixel; i += 4) store<f32>(out + i, load<f32>(out + i) + load<f32>(xp + i) * load<f32>(wp + i));
        }
      }
    }
  }
}
