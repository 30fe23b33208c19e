// Token batches for the sequence-model tests.
import { EOS } from '../../trainer/vocab.js';
import type { Rng } from '../../reference/random.js';

/** n padded sequences of T steps with lengths 1..T-1 in turn: random symbols (ids 4..V-1), then EOS, then PAD (0). */
export function paddedSequences(n: number, T: number, V: number, rng: Pick<Rng, 'int'>): Int32Array {
  const tokens = new Int32Array(n * T);
  for (let i = 0; i < n; i++) {
    const len = 1 + (i % (T - 1));
    for (let t = 0; t < len; t++) tokens[i * T + t] = 4 + rng.int(V - 4);
    tokens[i * T + len] = EOS;
  }
  return tokens;
}
