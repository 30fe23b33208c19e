// Conversion time of every fixture-zoo model (tests/fixtures/zoo): f32, and int8 (decoders: the default 256
// seeded calibration latents; encoders: 256 seeded images in [0, 1]). Reports wall-clock and process CPU
// seconds (CPU is the number to trust on a shared machine) and writes bench/zoo-results.md.
//   npx tsx bench/zoo-convert.ts [--only=taesd,betavae]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { EXPECTED_REFUSALS, size, ZOO_FIXTURES, type ZooFixture } from '../tests/helpers/zoo.js';
import { seededUniform } from '../tests/helpers/seeded-data.js';

const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const CALIB_IMAGES = 256;

interface Timing { wall: number; cpu: number }
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; t: Timing }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, t: { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 } };
}

const fmt = (t: Timing) => `${t.cpu.toFixed(2)} (${t.wall.toFixed(2)})`;

function shapeOptions(f: ZooFixture) {
  const fixed = f.model.fixedShapes?.[f.tag];
  if (!fixed) return {};
  return f.part === 'encoder' ? { inputShape: fixed.encoder } : { latentShape: fixed.decoder };
}

const rows: string[] = [];
for (const f of ZOO_FIXTURES) {
  if (only && !only.includes(f.model.name)) continue;
  if (EXPECTED_REFUSALS[f.key]) { rows.push(`| ${f.key} | refused | | |`); continue; }
  const f32 = await timed(() => convert({ [f.part]: f.path, ...shapeOptions(f) }));
  let int8: Timing;
  if (f.part === 'decoder') int8 = (await timed(() => convert({ decoder: f.path, quant: 'int8', ...shapeOptions(f) }))).t;
  else {
    const per = size(f.model.input);
    const images = Array.from({ length: CALIB_IMAGES }, (_, i) => seededUniform(per, 1000 + i));
    int8 = (await timed(async () => quantizeModel((await convert({ encoder: f.path, ...shapeOptions(f) })).bytes, { mode: 'int8', images }))).t;
  }
  const row = `| ${f.key} | ${fmt(f32.t)} | ${fmt(int8)} | ${f32.value.bytes.byteLength} |`;
  rows.push(row);
  console.log(row);
}

const md = `# Fixture zoo: conversion time

\`npx tsx bench/zoo-convert.ts\` on ${new Date().toISOString().slice(0, 10)}. Seconds of process CPU time, wall clock in
parentheses (the machine is shared: CPU time is the number to compare). int8: decoders calibrate on the default
256 seeded latents, encoders on ${CALIB_IMAGES} seeded images in [0, 1]. "refused": the converter does not support an op
of that export yet (tests/helpers/zoo.ts lists why).

| fixture | f32 convert s | int8 convert s | f32 .evae bytes |
|---|---|---|---|
${rows.join('\n')}
`;
writeFileSync(join(import.meta.dirname, 'zoo-results.md'), md);
console.log('wrote bench/zoo-results.md');
