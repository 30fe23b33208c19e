// Multi-core scaling of runtime/workers: decode a batch of 64 with one EdgeVae on the main thread, with a
// pool of 1 worker and with a pool of 2 workers. Forked by bench/run.ts (its own process, like the engines).
import { readFileSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { WorkerPool } from '../runtime/workers/node.js';
import { measure, seededInput, type MeasureBudget, type Timing } from './stats.js';

export interface ScalingTask { repoRoot: string; models: { id: string; decoder: string }[]; batch: number; budget: MeasureBudget }
export interface ScalingRow {
  model: string;
  batch: number;
  single?: Timing;
  /** workers -> timing */
  pool: Record<number, Timing>;
  error?: string;
}

async function measureScaling(task: ScalingTask): Promise<ScalingRow[]> {
  const wasm = readFileSync(`${task.repoRoot}/build/edgevae.wasm`);
  const rows: ScalingRow[] = [];
  for (const m of task.models) {
    const row: ScalingRow = { model: m.id, batch: task.batch, pool: {} };
    rows.push(row);
    try {
      const model = (await convert({ decoder: m.decoder, name: m.id })).bytes;
      const vae = await EdgeVae.load(model, { wasm, maxBatch: task.batch });
      const z = seededInput('latent', task.batch * vae.info.latentSize, 3);
      row.single = await measure(() => vae.decode(z, task.batch), task.budget);
      for (const workers of [1, 2]) {
        const pool = await WorkerPool.create({ model, wasm, workers, maxBatch: task.batch });
        try {
          row.pool[workers] = await measure(() => pool.decode(z, task.batch), task.budget);
        } finally {
          await pool.terminate();
        }
      }
    } catch (e) {
      row.error = `${(e as Error).name}: ${(e as Error).message}`;
    }
  }
  return rows;
}

process.once('message', (task: ScalingTask) => {
  measureScaling(task).then(
    (rows) => process.send!(rows, () => process.exit(0)),
    (e: unknown) => process.send!([{ model: '*', batch: task.batch, pool: {}, error: String(e) }], () => process.exit(1)),
  );
});
