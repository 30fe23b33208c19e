// Where a zoo decoder spends its time, per PyTorch module: the graph is cut after each top-level module
// (from the dynamo exporter's `pkg.torch.onnx.name_scopes` node metadata), every prefix is run by edgevae f32,
// onnxruntime-web and onnxruntime-node (batch 1, one thread, median CPU time per call: it does not count time spent preempted), and a module's cost is the difference
// between consecutive prefixes. A coarse profile (prefix differences are noisy on a busy machine), enough to
// name the blocks where edgevae loses; one process, so it is not a substitute for `npm run bench`.
//   npx tsx bench/zoo-profile.ts [--model=sdvae|taesd] [--depth=2] [--rounds=1]
// --depth: module nesting level to cut at (3 splits "up.7" into norm1, nonlinearity, conv1, ...);
// --rounds: time every prefix this many times and keep each engine's fastest median (less preemption noise).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxPkg from 'onnx-proto';
import { convert } from '../converter/index.js';
import { readNodeMetadata } from '../converter/onnx-node-metadata.js';
import { EdgeVae } from '../runtime/index.js';
import { measure, seededInput, type MeasureBudget } from './stats.js';

const { onnx } = onnxPkg;
const root = join(import.meta.dirname, '..');
const model = process.argv.find((a) => a.startsWith('--model='))?.slice(8) ?? 'sdvae';
const FILES: Record<string, string> = { sdvae: 'sdvae.decoder.dynamo18.onnx', taesd: 'taesd.decoder.dynamo20.onnx' };
if (!FILES[model]) {
  console.error(`zoo-profile: unknown --model=${model} (known: ${Object.keys(FILES).join(', ')})`);
  process.exit(2);
}
const intArg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const depth = intArg('depth', 2), rounds = intArg('rounds', 1);
if (!(depth >= 1 && rounds >= 1)) {
  console.error('zoo-profile: --depth and --rounds take positive integers');
  process.exit(2);
}
const BUDGET: MeasureBudget = { warmupMs: 150, measureMs: 600, minSamples: 15, maxSamples: 3000 };
const SHAPE_OPS = new Set(['Shape', 'Constant', 'Gather', 'Unsqueeze', 'Concat', 'Cast']);

const bytes = readFileSync(join(root, 'tests/fixtures/zoo', FILES[model]!));
const full = onnx.ModelProto.decode(bytes);
const nodes = full.graph!.node!;
const nodeMeta = readNodeMetadata(bytes); // onnx-proto's schema predates NodeProto.metadata_props

/** The module a node belongs to, `depth` levels deep (2: "mid.attention", "up.2", "post_quant_conv"). */
function moduleOf(index: number): string {
  const scopes = nodeMeta[index]?.get('pkg.torch.onnx.name_scopes');
  if (!scopes) return '(no metadata)';
  const mods = (JSON.parse(scopes.replace(/'/g, '"')) as string[]).slice(1, -1);
  return mods[Math.min(depth - 1, mods.length - 1)] ?? '(top)';
}

// segments: runs of consecutive nodes of one module; cut after the segment's last float-producing node
const segments: { module: string; ops: Map<string, number>; cut: string }[] = [];
for (const [i, n] of nodes.entries()) {
  const m = moduleOf(i);
  if (segments.at(-1)?.module !== m) segments.push({ module: m, ops: new Map(), cut: '' });
  const s = segments.at(-1)!;
  if (!SHAPE_OPS.has(n.opType!) && n.opType !== 'Reshape') s.ops.set(n.opType!, (s.ops.get(n.opType!) ?? 0) + 1);
  if (!SHAPE_OPS.has(n.opType!)) s.cut = n.output![0]!;
}
segments[segments.length - 1]!.cut = full.graph!.output![0]!.name!;

/** The model with `output` as its only output and only the nodes it needs. */
function prefix(output: string): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const needed = new Set([output]);
  const keep: onnxPkg.onnx.INodeProto[] = [];
  for (const n of [...m.graph!.node!].reverse()) {
    if (!n.output!.some((o) => needed.has(o))) continue;
    keep.unshift(n);
    for (const i of n.input ?? []) if (i) needed.add(i);
  }
  m.graph!.node = keep as onnxPkg.onnx.NodeProto[];
  m.graph!.initializer = m.graph!.initializer!.filter((t) => needed.has(t.name!));
  m.graph!.output = [onnx.ValueInfoProto.create({ name: output, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } })];
  return onnx.ModelProto.encode(m).finish();
}

const latentDims = full.graph!.input![0]!.type!.tensorType!.shape!.dim!.slice(1).map((d) => Number(d.dimValue));
const latent = seededInput('latent', latentDims.reduce((a, b) => a * b, 1), 101);
const wasm = readFileSync(join(root, 'build/edgevae.wasm'));
const ortNode = await import('onnxruntime-node');
const ortWeb = await import('onnxruntime-web');
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.proxy = false;

async function timeOrt(ort: typeof ortNode | typeof ortWeb, model: Uint8Array, native: boolean, warmupMs = BUDGET.warmupMs): Promise<number> {
  const session = native
    ? await ortNode.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' })
    : await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const feed = { [session.inputNames[0]!]: new ort.Tensor('float32', latent, [1, ...latentDims]) };
  const t = await measure(async () => { const out = await session.run(feed as never); void (out[session.outputNames[0]!]!.data as Float32Array)[0]; }, { ...BUDGET, warmupMs });
  await session.release();
  return t.cpuMedian ?? t.median;
}

async function timeEdgevae(model: Uint8Array): Promise<number> {
  const { bytes: evae } = await convert({ decoder: model, name: 'profile', quant: 'f32' });
  const vae = await EdgeVae.load(evae, { wasm, maxBatch: 1 });
  const t = await measure(() => vae.decode(latent, 1), BUDGET);
  return t.cpuMedian ?? t.median;
}

// V8 runs onnxruntime-web's large wasm module as baseline code first and optimizes it in the background:
// warm it up on the whole model before timing anything
await timeOrt(ortWeb, bytes, false, 3000);

const rows: string[] = [];
// the same costs summed by the segment's op list ("InstanceNormalization, Mul, Add" = a GroupNorm): per-segment
// differences are noisy, their sums over a whole network much less so
const byOps = new Map<string, { n: number; ev: number; web: number; node: number }>();
let prev = { ev: 0, web: 0, node: 0 };
for (const s of segments) {
  const m = prefix(s.cut);
  const cur = { ev: Infinity, web: Infinity, node: Infinity };
  for (let r = 0; r < rounds; r++) {
    cur.ev = Math.min(cur.ev, await timeEdgevae(m));
    cur.web = Math.min(cur.web, await timeOrt(ortWeb, m, false));
    cur.node = Math.min(cur.node, await timeOrt(ortNode, m, true));
  }
  const d = { ev: cur.ev - prev.ev, web: cur.web - prev.web, node: cur.node - prev.node };
  const ops = [...s.ops].map(([op, c]) => (c > 1 ? `${op} x${c}` : op)).join(', ');
  const f = (x: number) => x.toFixed(3);
  const sum = byOps.get(ops) ?? { n: 0, ev: 0, web: 0, node: 0 };
  byOps.set(ops, { n: sum.n + 1, ev: sum.ev + d.ev, web: sum.web + d.web, node: sum.node + d.node });
  rows.push(`| ${s.module} | ${ops} | ${f(d.ev)} | ${f(d.web)} | ${f(d.node)} | ${f(cur.ev)} | ${f(cur.web)} | ${f(cur.node)} |`);
  console.error(`  ${s.module}: edgevae ${f(cur.ev)} ms, ort-web ${f(cur.web)} ms, ort-node ${f(cur.node)} ms (cumulative)`);
  prev = cur;
}
console.log([
  `zoo-profile ${FILES[model]} (depth ${depth}, best of ${rounds}): batch 1, one thread, median CPU ms per call; "module" = cost of the prefix ending there minus the previous prefix`, '',
  '| module | ops | edgevae f32 | ort-web | ort-node | prefix edgevae | prefix ort-web | prefix ort-node |',
  '|---|---|---:|---:|---:|---:|---:|---:|', ...rows, '',
  'Summed by op list:', '',
  '| ops | segments | edgevae f32 | ort-web | ort-node | edgevae / ort-node |',
  '|---|---:|---:|---:|---:|---:|',
  ...[...byOps].sort((a, b) => b[1].ev - a[1].ev).map(([ops, t]) =>
    `| ${ops} | ${t.n} | ${t.ev.toFixed(3)} | ${t.web.toFixed(3)} | ${t.node.toFixed(3)} | ${t.node > 0 ? (t.ev / t.node).toFixed(2) : '–'} |`),
].join('\n'));
