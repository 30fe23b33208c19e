// Training report of a sequence VAE, as text: report.html (per-epoch table with KL, token accuracy and
// active units; reconstructions, samples from the prior and an interpolation between two held-out
// sequences, all greedy-decoded) and samples.txt with the same decoded lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { HOLD, melodyEvent, melodyToMidi, OFF, type Melody } from './melody.js';
import { writeMidi } from './midi.js';
import { Rng } from '../reference/random.js';
import type { BaselineComparison } from './seq-baseline.js';
import type { SeqVaeModel } from './seq-model.js';
import type { SeqEpochRecord, SeqTrainSettings } from './seq-train.js';
import { sequenceAt, type SequenceDataset } from './sequence-data.js';

export const SAMPLE_COUNT = 16;
export const RECON_COUNT = 8;
export const INTERP_STEPS = 10;

export interface SeqReportText {
  reconstructions: { input: string; output: string }[];
  samples: string[];
  interpolation: { from: string; to: string; steps: string[] };
}

async function encodeMu(model: SeqVaeModel, tokens: Int32Array, n: number): Promise<Float32Array> {
  const { mu, logvar } = model.encode(tokens, n);
  const out = (await mu.data()) as Float32Array;
  tf.dispose([mu, logvar]);
  return out;
}

/** Greedy decodes of codes, as display strings. */
async function decodeText(model: SeqVaeModel, data: SequenceDataset, z: Float32Array, n: number): Promise<string[]> {
  const T = model.config.maxTokens;
  const ids = await model.greedyDecode(z, n, T);
  return Array.from({ length: n }, (_, i) => data.vocab.decode(ids.subarray(i * T, (i + 1) * T)).join(data.separator));
}

export async function reportText(model: SeqVaeModel, data: SequenceDataset, seed: number): Promise<SeqReportText> {
  const T = data.maxTokens;
  const L = model.config.latent;
  const text = (i: number) => data.vocab.decode(sequenceAt(data.test, T, i)).join(data.separator);
  const nRec = Math.min(RECON_COUNT, data.test.count);
  const mu = await encodeMu(model, data.test.tokens.subarray(0, nRec * T), nRec);
  const outs = await decodeText(model, data, mu, nRec);
  const reconstructions = outs.map((output, i) => ({ input: text(i), output }));
  const samples = await decodeText(model, data, new Rng(seed + 101).fillNormal(new Float32Array(SAMPLE_COUNT * L)), SAMPLE_COUNT);
  const [a, b] = [0, Math.min(1, data.test.count - 1)];
  const line = new Float32Array(INTERP_STEPS * L);
  for (let s = 0; s < INTERP_STEPS; s++) {
    const t = s / (INTERP_STEPS - 1);
    for (let k = 0; k < L; k++) line[s * L + k] = (1 - t) * mu[a * L + k] + t * mu[b * L + k];
  }
  return { reconstructions, samples,
    interpolation: { from: text(a), to: text(b), steps: await decodeText(model, data, line, INTERP_STEPS) } };
}

export async function writeSeqReport(
  model: SeqVaeModel, data: SequenceDataset, history: SeqEpochRecord[], settings: SeqTrainSettings, dir: string,
    baseline?: BaselineComparison,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const text = await reportText(model, data, settings.seed);
  const cfg = model.config;
  const last = history[history.length - 1];
  const row = (r: SeqEpochRecord) =>
    `<tr><td>${r.epoch}</td><td>${r.train.total.toFixed(2)}</td><td>${r.train.kl.toFixed(2)}</td><td>${r.test.total.toFixed(2)}</td>` +
    `<td>${r.test.recon.toFixed(2)}</td>` +
    `<td>${r.test.kl.toFixed(2)}</td><td>${r.test.nllPerToken.toFixed(3)}</td><td>${(100 * r.test.tokenAccuracy).toFixed(1)} %</td>` +
    `<td>${r.test.activeUnits}/${cfg.latent}</td>` +
    `<td>${r.beta.toFixed(3)}</td><td>${r.seconds.toFixed(1)}</td><td>${r.sequencesPerSecond.toFixed(0)}</td></tr>`;
  const li = (s: string) => `<li><code>${esc(s)}</code></li>`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>edgevae sequence VAE report</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}code{white-space:pre}</style>
</head><body>
<h1>edgevae sequence VAE report</h1>
<p>Model: <b>${cfg.bidirectional ? 'bidirectional ' : ''}${cfg.cell.toUpperCase()} VAE</b>, ${cfg.layers} layer(s) of ${cfg.hidden}, embedding ${cfg.embed}, latent ${cfg.latent},
${cfg.vocabSize} tokens, ${cfg.maxTokens} steps, ${model.parameterCount()} parameters.
Data: ${esc(data.name)} (${data.train.count} train / ${data.test.count} held-out sequences).
Training: ${history.length} epochs, batch ${settings.batchSize}, Adam lr ${settings.lr}, beta ${settings.beta} with ${settings.klSchedule} KL warm-up over ${settings.klWarmupEpochs} epochs,
token dropout ${settings.wordDropout}, free bits ${settings.freeBits} nats per dimension, gradient clip ${settings.clipNorm}, seed ${settings.seed}.</p>
${last ? `<p>Held-out: <b>${last.test.total.toFixed(2)} nats</b> per sequence (reconstruction ${last.test.recon.toFixed(2)}, KL ${last.test.kl.toFixed(2)}), ${last.test.nllPerToken.toFixed(3)} nats per token,
reconstruction token accuracy ${(100 * last.test.tokenAccuracy).toFixed(1)} %, ${last.test.activeUnits} of ${cfg.latent} latent units active (variance of mu &gt; 0.01).</p>` : ''}
<table><tr><th>epoch</th><th>train -ELBO</th><th>train KL</th><th>test -ELBO</th><th>recon</th><th>KL</th><th>nats/token</th><th>token acc.</th><th>active</th><th>beta</th><th>s</th><th>seq/s</th></tr>
${history.map(row).join('\n')}
</table>
${baseline ? `<p>Baseline: a plain ${cfg.cell.toUpperCase()} language model of the decoder's size (no z; ${baseline.lmParameters} parameters, ${baseline.lmSteps} steps on the same batches)
reaches <b>${baseline.lmNllPerToken.toFixed(3)} nats per token</b> on the held-out set (${baseline.lmNllPerSequence.toFixed(2)} per sequence, next-token accuracy
${(100 * baseline.lmTokenAccuracy).toFixed(1)} %); the VAE's bound is ${baseline.vaeNllPerToken.toFixed(3)}, ${baseline.gapPercent >= 0 ? '+' : ''}${baseline.gapPercent.toFixed(1)} % of it.</p>` : ''}
${last ? `<p>KL per latent dimension (held-out): ${last.test.klPerDim.map((k) => k.toFixed(2)).join(', ')}</p>` : ''}
<h2>Reconstructions (greedy decode of mu)</h2>
<table><tr><th>input</th><th>output</th></tr>${text.reconstructions.map((r) => `<tr><td><code>${esc(r.input)}</code></td><td><code>${esc(r.output)}</code></td></tr>`).join('')}</table>
<h2>Samples (z ~ N(0, I), greedy)</h2><ul>${text.samples.map(li).join('')}</ul>
<h2>Interpolation</h2><p>From <code>${esc(text.interpolation.from)}</code> to <code>${esc(text.interpolation.to)}</code> in ${INTERP_STEPS} steps:</p>
<ol>${text.interpolation.steps.map(li).join('')}</ol>
</body></html>
`;
  const plain = [
    '# reconstructions (input -> greedy decode of mu)',
    ...text.reconstructions.map((r) => `${r.input} -> ${r.output}`),
    '', '# samples (z ~ N(0, I), greedy)', ...text.samples,
    '', `# interpolation ${text.interpolation.from} -> ${text.interpolation.to}`, ...text.interpolation.steps, '',
  ].join('\n');
  const files = [join(dir, 'report.html'), join(dir, 'samples.txt')];
  writeFileSync(files[0], html);
  writeFileSync(files[1], plain);
  if (data.kind === 'melody') {
    // Melody models also get the samples and the interpolation as MIDI, one window after another.
    for (const [name, lines] of [['samples.mid', text.samples], ['interpolation.mid', text.interpolation.steps]] as const) {
      const path = join(dir, name);
      writeFileSync(path, writeMidi(melodyToMidi(joinWindows(lines, cfg.maxTokens - 1))));
      files.push(path);
    }
  }
  return files;
}

/** Decoded melody lines (space-separated events) -> one melody, each line padded to `steps` and ended by an off. */
function joinWindows(lines: readonly string[], steps: number): Melody {
  const out: Melody = [];
  for (const line of lines) {
    const events = line.split(' ').filter((e) => e !== '').map((e) => {
      try {
        return melodyEvent(e);
      } catch {
        return HOLD; // '<unk>' decodes as '?': nothing happens on that step
      }
    });
    while (events.length < steps) events.push(HOLD);
    events[steps - 1] = OFF; // windows do not run into each other
    out.push(...events.slice(0, steps));
  }
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
