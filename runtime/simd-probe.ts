// Relaxed-SIMD detection with a known-answer check. Browser-safe: no Node imports.
// Feature detection (WebAssembly.validate) only says an engine accepts the instructions; an engine may still compute
// them wrongly (Node 20 behind --experimental-wasm-relaxed-simd returns wrong lanes for the int8 dot), so a tiny module
// runs i32x4.relaxed_dot_i8x16_i7x16_add_s and f32x4.relaxed_madd on inputs whose results are known, and the relaxed
// runtime is used only when both come back right.

/** The probe module: memory (1 page) and probe(): [0] = dot(a@16, b@32, c@48) as i32x4, [64] = madd(x@80, y@96, z@112). */
export const PROBE_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
  0x07, 0x12, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x05, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x00, 0x00, // exports
  0x0a, 0x3e, 0x01, 0x3c, 0x00, // code: one body (60 bytes), no locals
  0x41, 0x00, // i32.const 0
  0x41, 0x10, 0xfd, 0x00, 0x04, 0x00, 0x41, 0x20, 0xfd, 0x00, 0x04, 0x00, 0x41, 0x30, 0xfd, 0x00, 0x04, 0x00, // v128.load @16, @32, @48
  0xfd, 0x93, 0x02, // i32x4.relaxed_dot_i8x16_i7x16_add_s
  0xfd, 0x0b, 0x04, 0x00, // v128.store @0
  0x41, 0xc0, 0x00, // i32.const 64
  // @80, @96, @112
  0x41, 0xd0, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x41, 0xe0, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x41, 0xf0, 0x00, 0xfd, 0x00, 0x04, 0x00,
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0xfd, 0x0b, 0x04, 0x00, // v128.store @64
  0x0b, // end
]);

/** Dot inputs: signed bytes a, 7-bit bytes b (0..127: the range where every engine must agree), i32 addends c. */
export const PROBE_DOT_A = Int8Array.from([-128, -1, 127, 5, 3, -7, 100, -50, 1, 2, 3, 4, -128, 127, -128, 127]);
export const PROBE_DOT_B = Int8Array.from([127, 1, 2, 3, 0, 64, 127, 9, 10, 20, 30, 40, 127, 127, 1, 0]);
export const PROBE_DOT_C = Int32Array.from([1000, -5, 0, 7]);
/**
 * madd inputs x * y + z where one rounding (fused) and two (multiply, then add) differ: x = y = 1 + 2^-12 makes
 * x * y = 1 + 2^-11 + 2^-24, which a separate multiply rounds to 1 + 2^-11 (a tie, to even).
 */
const E12 = 2 ** -12;
export const PROBE_MADD_X = Float32Array.from([1 + E12, 1 + E12, -(1 + E12), 3]);
export const PROBE_MADD_Y = Float32Array.from([1 + E12, 1 + E12, 1 + E12, 0.5]);
export const PROBE_MADD_Z = Float32Array.from([-(1 + 2 * E12), 0, 1 + 2 * E12, -1]);

/** The correct dot: lane i = sum over j < 4 of a[4i+j] * b[4i+j], plus c[i] (no overflow for these inputs). */
export function expectedDot(): Int32Array {
  return Int32Array.from({ length: 4 }, (_, i) => {
    let s = PROBE_DOT_C[i]!;
    for (let j = 0; j < 4; j++) s += PROBE_DOT_A[4 * i + j]! * PROBE_DOT_B[4 * i + j]!;
    return s;
  });
}

/** Per lane, the fused (one rounding) and the unfused (two roundings) result of x * y + z in f32. */
export function expectedMadd(): { fused: Float32Array; unfused: Float32Array } {
  const f = Math.fround;
  // the f64 product of two f32 values is exact, so rounding product + z once is the fused result
  const fused = Float32Array.from({ length: 4 }, (_, i) => f(PROBE_MADD_X[i]! * PROBE_MADD_Y[i]! + PROBE_MADD_Z[i]!));
  const unfused = Float32Array.from({ length: 4 }, (_, i) => f(f(PROBE_MADD_X[i]! * PROBE_MADD_Y[i]!) + PROBE_MADD_Z[i]!));
  return { fused, unfused };
}

/**
 * Checks what an engine computed for the probe inputs. Returns undefined when right, else one line saying which lane
 * is wrong. madd may round once or twice (both allowed by the spec), but the same way on every lane.
 */
export function checkProbeResults(dot: ArrayLike<number>, madd: ArrayLike<number>): string | undefined {
  const want = expectedDot();
  for (let i = 0; i < 4; i++) {
    if (dot[i] !== want[i]) return `relaxed_dot_i8x16_i7x16_add_s lane ${i} gave ${dot[i]}, expected ${want[i]}`;
  }
  const { fused, unfused } = expectedMadd();
  const same = (ref: Float32Array) => Array.from({ length: 4 }, (_, i) => Object.is(madd[i], ref[i])).every(Boolean);
  if (!same(fused) && !same(unfused)) {
    return `relaxed_madd gave [${Array.from({ length: 4 }, (_, i) => madd[i]).join(', ')}], expected [${fused.join(', ')}] (fused) ` +
      `or [${unfused.join(', ')}] (unfused)`;
  }
  return undefined;
}

export interface RelaxedSimdSupport {
  /** true when the engine validates relaxed SIMD and computes the probe correctly */
  ok: boolean;
  /** why (one line): "relaxed SIMD not supported by this engine", the wrong lane, or "probe passed (fused madd)" */
  reason: string;
  /** whether relaxed_madd rounds once here (undefined when not ok) */
  fusedMadd?: boolean;
}

/** Feature detection, then the known-answer probe, in this engine. */
export function probeRelaxedSimd(): RelaxedSimdSupport {
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(PROBE_MODULE)) {
    return { ok: false, reason: 'relaxed SIMD not supported by this engine' };
  }
  let dot: Int32Array, madd: Float32Array;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(PROBE_MODULE), {});
    const memory = instance.exports.memory as WebAssembly.Memory;
    const buf = memory.buffer;
    new Int8Array(buf, 16, 16).set(PROBE_DOT_A);
    new Int8Array(buf, 32, 16).set(PROBE_DOT_B);
    new Int32Array(buf, 48, 4).set(PROBE_DOT_C);
    new Float32Array(buf, 80, 4).set(PROBE_MADD_X);
    new Float32Array(buf, 96, 4).set(PROBE_MADD_Y);
    new Float32Array(buf, 112, 4).set(PROBE_MADD_Z);
    (instance.exports.probe as () => void)();
    dot = new Int32Array(buf.slice(0, 16));
    madd = new Float32Array(buf.slice(64, 80));
  } catch (e) {
    return { ok: false, reason: `relaxed SIMD probe failed to run: ${(e as Error).message}` };
  }
  return probeVerdict(dot, madd);
}

/** The verdict for probe results (separate so tests can feed it results no engine at hand would give). */
export function probeVerdict(dot: ArrayLike<number>, madd: ArrayLike<number>): RelaxedSimdSupport {
  const wrong = checkProbeResults(dot, madd);
  if (wrong) return { ok: false, reason: `relaxed SIMD computes wrongly here (${wrong})` };
  const fusedMadd = Object.is(madd[0], expectedMadd().fused[0]);
  return { ok: true, reason: `relaxed SIMD probe passed (${fusedMadd ? 'fused' : 'unfused'} madd)`, fusedMadd };
}
