// Times one training step (forward + backward + Adam) of the conv VAE at batch 128 on a CPU tfjs
// backend, with the backend's own convolution kernels and with the fast ones (trainer/kernels/).
//   npx tsx bench/train-kernels.ts [--backend wasm|cpu] [--batch 128] [--steps 5]
//                                  [--baseline-batch N] [--profile] [--kernels Conv2D,...] [--threads 1,2]
// The cpu backend's own convolutions need minutes per batch of 128, so there the baseline runs at
// --baseline-batch (default 16; on wasm the default is --batch) and reports images/s at that batch.
// Prints wall time and the process's CPU time per step: on a shared machine the CPU time shows
// what the step costs when the process has the cores to itself.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers tfjs-core's gradient functions
import { defaultThreads, registerFastKernels, unregisterFastKernels, type FastKernelName } from '../trainer/kernels/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const backendName = arg('backend', 'wasm');
const batch = Number(arg('batch', '128'));
const steps = Number(arg('steps', '5'));
const baselineBatch = Number(arg('baseline-batch', backendName === 'wasm' ? String(batch) : '16'));
const profile = process.argv.includes('--profile');
const kernelList = process.argv.includes('--kernels') ? (arg('kernels', '').split(',') as FastKernelName[]) : undefined;
const threadCounts = arg('threads', `1,${defaultThreads()}`).split(',').map(Number).filter((t, i, all) => all.indexOf(t) === i);

/** The conv VAE of the project (28x28x1, latent 16), NHWC, as plain tf ops. */
function makeVae() {
  let seed = 1;
  const v = (shape: number[], fanIn: number) =>
    tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed++));
  const z = (shape: number[]) => tf.variable(tf.zeros(shape));
  const p = {
    c1: v([3, 3, 1, 32], 9), b1: z([32]),
    c2: v([3, 3, 32, 64], 288), b2: z([64]),
    wMu: v([3136, 16], 3136), bMu: z([16]), wLv: v([3136, 16], 3136), bLv: z([16]),
    wD: v([16, 3136], 16), bD: z([3136]),
    t1: v([3, 3, 64, 64], 576), tb1: z([64]),
    t2: v([3, 3, 32, 64], 576), tb2: z([32]),
    c3: v([3, 3, 32, 1], 288), b3: z([1]),
  };
  const loss = (x: tf.Tensor4D, eps: tf.Tensor2D) => {
    const n = x.shape[0];
    let h = tf.relu(tf.add(tf.conv2d(x, p.c1 as tf.Tensor4D, 2, 'same'), p.b1));
    h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p.c2 as tf.Tensor4D, 2, 'same'), p.b2));
    const flat = tf.reshape(h, [n, 3136]);
    const mu = tf.add(tf.matMul(flat, p.wMu), p.bMu);
    const logvar = tf.add(tf.matMul(flat, p.wLv), p.bLv);
    const zs = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
    let d: tf.Tensor = tf.relu(tf.add(tf.matMul(zs, p.wD), p.bD));
    d = tf.reshape(d, [n, 7, 7, 64]);
    d = tf.relu(tf.add(tf.conv2dTranspose(d as tf.Tensor4D, p.t1 as tf.Tensor4D, [n, 14, 14, 64], 2, 'same'), p.tb1));
    d = tf.relu(tf.add(tf.conv2dTranspose(d as tf.Tensor4D, p.t2 as tf.Tensor4D, [n, 28, 28, 32], 2, 'same'), p.tb2));
    const logits = tf.add(tf.conv2d(d as tf.Tensor4D, p.c3 as tf.Tensor4D, 1, 'same'), p.b3);
    const bce = tf.losses.sigmoidCrossEntropy(x, logits, undefined, 0, tf.Reduction.SUM);
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
    return tf.div(tf.add(bce, kl), n) as tf.Scalar;
  };
  return { params: p, loss };
}

async function timeSteps(label: string, n: number, count: number): Promise<void> {
  const vae = makeVae();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
  const eps = tf.randomNormal([n, 16], 0, 1, 'float32', 8) as tf.Tensor2D;
  const step = () => opt.minimize(() => vae.loss(x, eps), true)!;
  const warm = step();
  await warm.data();
  warm.dispose();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let lastLoss = NaN;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const l = step();
    lastLoss = (await l.data())[0]!;
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
    l.dispose();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const wall = median(times);
  // CPU time (all threads of this process) is a load-independent check on a shared machine.
  console.log(
    `${label.padEnd(34)} batch ${String(n).padStart(3)}: median step ${wall.toFixed(1).padStart(7)} ms` +
      ` (min ${Math.min(...times).toFixed(1)}, cpu ${median(cpuTimes).toFixed(1)})` +
      `  ${((n * 1000) / wall).toFixed(1).padStart(6)} images/s (best ${((n * 1000) / Math.min(...times)).toFixed(1)})` +
      `  loss ${lastLoss.toFixed(2)}`,
  );
  if (profile) {
    const info = await tf.profile(() => step());
    const perKernel = new Map<string, number>();
    for (const k of info.kernels) perKernel.set(k.name, (perKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    const top = [...perKernel].sort((a, b) => b[1] - a[1]).slice(0, 10);
    console.log('  kernel ms: ' + top.map(([k, t]) => `${k} ${t.toFixed(1)}`).join(', '));
  }
  tf.dispose([x, eps, ...Object.values(vae.params)]);
  opt.dispose();
}

await tf.setBackend(backendName);
await tf.ready();
console.log(`backend ${tf.getBackend()}, ${new Date().toISOString()}`);

if (backendName === 'wasm') {
  // The wasm backend has no Conv2DBackpropFilter at all: the baseline borrows ours for that one op.
  await registerFastKernels(backendName, ['Conv2DBackpropFilter'], { threads: 1 });
  await timeSteps('tfjs kernels (+fast BackpropFilter)', baselineBatch, 2);
  unregisterFastKernels(backendName);
} else {
  await timeSteps('tfjs kernels', baselineBatch, 1);
}
let registered: FastKernelName[] = [];
for (const threads of threadCounts) {
  registered = await registerFastKernels(backendName, kernelList, { threads });
  await timeSteps(`fast kernels, ${threads} thread${threads > 1 ? 's' : ''}`, batch, steps);
}
console.log(`fast kernels registered: ${registered.join(', ')}`);
process.exit(0); // the worker threads are unref'd, but exit promptly anyway
