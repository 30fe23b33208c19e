// Runs inside Chromium for `edgevae train --backend webgpu`: hosts the trainer's own LocalEngine
// (trainer/train-step.ts, same model, loss and Adam code as every other backend) on tfjs-backend-webgpu.
// Node drives it through window.edgevaeEngine: batches and noise go in, losses and state come out.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Adam } from '../adam.js';
import { VaeModel, type ModelConfig } from '../models.js';
import { LocalEngine, type BatchLoss, type LossOptions } from '../train-step.js';
import type { AdapterSummary } from './adapter.js';
import { base64ToFloats, decodeTensors, encodeTensors, type EncodedTensors } from './float-transfer.js';
import { registerWebGpuBackend } from './register-webgpu.js';

export interface EngineState {
  step: number;
  weights: EncodedTensors;
  m: EncodedTensors;
  v: EncodedTensors;
}

let engine: LocalEngine | null = null;

function current(): LocalEngine {
  if (!engine) throw new Error('engine not initialized');
  return engine;
}

const api = {
  /** Activates WebGPU; returns the adapter in use (or the reason there is none). */
  async start(): Promise<{ backend: string; adapter: AdapterSummary }> {
    const adapter = await registerWebGpuBackend();
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialize');
    await tf.ready();
    return { backend: tf.getBackend(), adapter };
  },
  init(config: ModelConfig, loss: LossOptions, lr: number, state: EngineState): void {
    engine?.model.dispose();
    engine?.adam.dispose();
    const model = new VaeModel(config, decodeTensors(state.weights));
    const adam = new Adam(model.params, { lr });
    adam.restore(state.step, decodeTensors(state.m), decodeTensors(state.v));
    engine = new LocalEngine(model, adam, loss);
  },
  step(batch: string, size: number, eps: string | null, beta: number): Promise<BatchLoss> {
    return current().step(base64ToFloats(batch), size, eps === null ? null : base64ToFloats(eps), beta);
  },
  evaluate(batch: string, size: number, eps: string | null): Promise<BatchLoss> {
    return current().evaluate(base64ToFloats(batch), size, eps === null ? null : base64ToFloats(eps));
  },
  async state(): Promise<EngineState> {
    const e = current();
    const { m, v } = await e.adam.moments();
    return { step: e.adam.step, weights: encodeTensors(await e.model.weights()), m: encodeTensors(m), v: encodeTensors(v) };
  },
};

export type EngineApi = typeof api;
(globalThis as unknown as { edgevaeEngine: EngineApi }).edgevaeEngine = api;
