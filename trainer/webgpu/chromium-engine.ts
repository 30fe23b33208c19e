// The TrainEngine whose steps run in a Chromium page (page-entry.ts, on WebGPU). The trainer's model and
// Adam in Node are a mirror: pull() copies the page's weights, moments and step into them before every
// checkpoint and at the end, so checkpoints, --resume, export and the report work as with any backend.
import type { Adam } from '../adam.js';
import type { VaeModel } from '../models.js';
import type { BatchLoss, LossOptions, TrainEngine } from '../train-step.js';
import type { EnginePage } from './chromium-session.js';
import { decodeTensors, encodeTensors, floatsToBase64 } from './float-transfer.js';
import type { EngineApi, EngineState } from './page-entry.js';

type Host = { edgevaeEngine: EngineApi };

export class ChromiumEngine implements TrainEngine {
  private constructor(private readonly page: EnginePage, private readonly model: VaeModel, private readonly adam: Adam) {}

  static async start(page: EnginePage, model: VaeModel, adam: Adam, loss: LossOptions): Promise<ChromiumEngine> {
    const { m, v } = await adam.moments();
    const state: EngineState = { step: adam.step, weights: encodeTensors(await model.weights()), m: encodeTensors(m), v: encodeTensors(v) };
    await page.evaluate(([config, lossOpts, lr, s]) => (window as unknown as Host).edgevaeEngine.init(config, lossOpts, lr, s),
      [model.config, loss, adam.lr, state] as const);
    return new ChromiumEngine(page, model, adam);
  }

  async step(batch: Float32Array, size: number, eps: Float32Array | null, beta: number): Promise<BatchLoss> {
    const loss = await this.page.evaluate(([b, n, e, beta_]) => (window as unknown as Host).edgevaeEngine.step(b, n, e, beta_),
      [floatsToBase64(this.slice(batch, size)), size, eps && floatsToBase64(eps), beta] as const);
    this.adam.step += 1;
    return loss;
  }

  async evaluate(batch: Float32Array, size: number, eps: Float32Array | null): Promise<BatchLoss> {
    return this.page.evaluate(([b, n, e]) => (window as unknown as Host).edgevaeEngine.evaluate(b, n, e),
      [floatsToBase64(this.slice(batch, size)), size, eps && floatsToBase64(eps)] as const);
  }

  async pull(): Promise<void> {
    const state = await this.page.evaluate(() => (window as unknown as Host).edgevaeEngine.state(), undefined);
    this.model.setWeights(decodeTensors(state.weights));
    this.adam.restore(state.step, decodeTensors(state.m), decodeTensors(state.v));
  }

  dispose(): void {}

  /** Only the batch's own images cross over (the loop's buffer is sized for a full batch). */
  private slice(batch: Float32Array, size: number): Float32Array {
    const [h, w, c] = this.model.config.inputShape;
    return batch.subarray(0, size * h * w * c);
  }
}
