// The VAE's held-out bound beside the plain language model's exact NLL (trainer/seq-lm.ts), per token
// (symbols and EOS) and per sequence: what `--baseline-lm` writes to baseline-lm.json and the report.
import type { SeqLmResult } from './seq-lm.js';
import type { SeqEpochRecord } from './seq-train.js';

export interface BaselineComparison {
  /** negative ELBO per token of the VAE's last epoch (an upper bound on its NLL), nats */
  vaeNllPerToken: number;
  vaeNllPerSequence: number;
  vaeKl: number;
  vaeTokenAccuracy: number;
  vaeActiveUnits: number;
  lmNllPerToken: number;
  lmNllPerSequence: number;
  /** the LM's teacher-forced next-token accuracy (no code to reconstruct from) */
  lmTokenAccuracy: number;
  lmParameters: number;
  lmSteps: number;
  /** how far the VAE's bound lies above the LM's NLL, in % of the LM's */
  gapPercent: number;
  lmHistory: SeqLmResult['history'];
}

export function compareWithBaseline(vae: SeqEpochRecord | undefined, lm: SeqLmResult): BaselineComparison {
  if (!vae) throw new Error('baseline comparison: the VAE has no finished epoch');
  const last = lm.history[lm.history.length - 1];
  if (!last) throw new Error('baseline comparison: the language model has no finished epoch');
  return {
    vaeNllPerToken: vae.test.nllPerToken,
    vaeNllPerSequence: vae.test.total,
    vaeKl: vae.test.kl,
    vaeTokenAccuracy: vae.test.tokenAccuracy,
    vaeActiveUnits: vae.test.activeUnits,
    lmNllPerToken: last.testNllPerToken,
    lmNllPerSequence: last.testNllPerSequence,
    lmTokenAccuracy: last.testTokenAccuracy,
    lmParameters: lm.parameters,
    lmSteps: lm.steps,
    gapPercent: (100 * (vae.test.nllPerToken - last.testNllPerToken)) / last.testNllPerToken,
    lmHistory: lm.history,
  };
}
