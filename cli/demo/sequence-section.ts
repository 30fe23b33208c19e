// The demo's text section: a sequence VAE (.evae with seq-encode/seq-init/seq-step entries) loaded with
// SequenceVae, decoding greedy samples, sampled ones (temperature, top-k, seeded) and an interpolation
// between two words. Each part is one timed demo step; the lines go into index.html and the console.
import { readFileSync } from 'node:fs';
import { SequenceVae } from '../../runtime/sequence.js';
import type { WasmSource } from '../../runtime/index.js';
import { CheckFailed, type StepLog } from './steps.js';

export interface SequenceDemoOptions {
  /** path of the .evae sequence model */
  model: string;
  wasm: WasmSource;
  /** interpolation endpoints; default "flamenco" and "bunking" */
  from?: string;
  to?: string;
}

export interface TextSection {
  title: string;
  /** one decoded sequence per line */
  lines: string[];
}

export const SEQUENCE_SAMPLES = 12;
export const SEQUENCE_SEED = 7;
export const SAMPLE_TEMPERATURE = 0.8;
export const SAMPLE_TOP_K = 5;
export const SEQUENCE_STEPS = 10;

/** Runs the text steps through `log`; returns the sections to show (empty when the model did not load). */
export async function sequenceSections(log: StepLog, o: SequenceDemoOptions): Promise<TextSection[]> {
  const from = o.from ?? 'flamenco', to = o.to ?? 'bunking';
  const vae = await log.run('load the text model (SequenceVae)', async () => {
    try {
      return await SequenceVae.load(new Uint8Array(readFileSync(o.model)), { wasm: o.wasm, maxBatch: SEQUENCE_SAMPLES });
    } catch (e) {
      // the image part of the demo stands on its own: report the broken text model and carry on
      throw new CheckFailed(`${o.model}: ${(e as Error).message}`);
    }
  }, (v) => `${o.model}: ${v.info.kind}, ${v.info.tokens.length} tokens, latent ${v.info.latentSize}, ${v.info.quantization}`);
  if (!vae) return [];
  const sections: TextSection[] = [];
  const show = (lines: string[]) => lines.map((l) => l === '' ? '(empty)' : l).join(' ');

  await log.run(`text: ${SEQUENCE_SAMPLES} greedy samples (seed ${SEQUENCE_SEED})`, () => {
    const { texts } = vae.sampleSequences(SEQUENCE_SAMPLES, { seed: SEQUENCE_SEED });
    sections.push({ title: `Greedy decodes of ${SEQUENCE_SAMPLES} latents from N(0, I), seed ${SEQUENCE_SEED}`, lines: texts });
    return texts;
  }, show);

  await log.run(`text: ${SEQUENCE_SAMPLES} samples (T ${SAMPLE_TEMPERATURE}, top-${SAMPLE_TOP_K})`, () => {
    const { texts } = vae.sampleSequences(SEQUENCE_SAMPLES, { seed: SEQUENCE_SEED, temperature: SAMPLE_TEMPERATURE, topK: SAMPLE_TOP_K });
    sections.push({
      title: `Sampled decodes (temperature ${SAMPLE_TEMPERATURE}, top-${SAMPLE_TOP_K}) of ${SEQUENCE_SAMPLES} latents from N(0, I), ` +
        `seed ${SEQUENCE_SEED}`,
      lines: texts,
    });
    return texts;
  }, show);

  await log.run(`text: interpolation (${SEQUENCE_STEPS} steps)`, () => {
    const { texts } = vae.interpolateSequences(from, to, SEQUENCE_STEPS);
    sections.push({ title: `Interpolation: mu of "${from}" to mu of "${to}", ${SEQUENCE_STEPS} steps, greedy`, lines: texts });
    return texts;
  }, (texts) => `${from} -> ${to}: ${show(texts)}`);
  return sections;
}
