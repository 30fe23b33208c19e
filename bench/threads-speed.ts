// Intra-op threads on one image (docs/threads.md): batch-1 decode of the 64x64x3 decoder (tests/helpers/conv64-decoder.ts,
// the benchmark fixture's shapes) and the default model, f32 and int8, with the fixed runtime on one thread and
// the threaded build with 1, 2 (and more, --threads=1,2,4) threads. Runs interleave (one round of every variant,
// then the next), so a busy machine slows them alike; wall-clock medians give the speed-ups, and the process CPU
// time per call (all threads) shows the work done. Writes bench/threads-speed.md (--out= to change).
//   nice npx tsx bench/threads-speed.ts [--rounds=15] [--calls=20] [--threads=1,2]
import { loadavg, availableParallelism, cpus } from 'node:os';
import { readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { EdgeVae } from '../runtime/index.js';
import { defaultWasmPath, loadModel, threadsWasmPath } from '../runtime/node.js';
import { Team } from '../runtime/threads/team.js';
import { nodeMemberSpawner } from '../runtime/threads/node.js';
import { conv64DecoderOnnx } from '../tests/helpers/conv64-decoder.js';
import { seededNormal } from '../tests/helpers/seeded-data.js';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const rounds = Number(arg('rounds', '15')), calls = Number(arg('calls', '20'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const out = arg('out', 'bench/threads-speed.md');

interface Runner { decode(z: Float32Array): Float32Array; close(): Promise<void>; latentSize: number }
interface Variant { label: string; threads: number; vae: Runner; wall: number[]; cpu: number[]; busiest: number[]; calls: number }

const viaApi = (vae: EdgeVae): Runner => ({ decode: (z) => vae.decode(z, 1), close: () => vae.close(), latentSize: vae.info.latentSize });

/** A team whose members sleep at once at barriers (no spinning): its CPU shares are the members' work alone. */
async function noSpinTeam(bytes: Uint8Array, threads: number): Promise<Runner> {
  const team = await Team.start(new WebAssembly.Module(readFileSync(threadsWasmPath())), bytes, 1, threads, nodeMemberSpawner());
  team.setSpin(0);
  return { decode: (z) => team.engine.run('decode', z, 1)[0]!, close: () => team.stop(),
    latentSize: team.engine.entrySizes('decode').input };
}

/** CPU ms of every thread of this process (Linux /proc; clock ticks of 10 ms), by thread id. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10); // utime, stime (fields 14, 15 of stat)
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function modelsToRun(): Promise<{ id: string; bytes: Uint8Array }[]> {
  const conv64 = (await convert({ decoder: conv64DecoderOnnx() })).bytes;
  const def = (await convert({ decoder: 'models/default/decoder.onnx' })).bytes;
  return [
    { id: '64x64x3 decoder f32', bytes: conv64 },
    { id: '64x64x3 decoder int8', bytes: (await quantizeModel(conv64, { mode: 'int8', latents: 32 })).bytes },
    { id: 'default 28x28 decoder f32', bytes: def },
    { id: 'default 28x28 decoder int8', bytes: (await quantizeModel(def, { mode: 'int8', latents: 64 })).bytes },
  ];
}

async function main(): Promise<void> {
  const wasm = readFileSync(defaultWasmPath());
  const loadBefore = loadavg();
  const lines: string[] = [];
  const table: string[] = [];
  for (const m of await modelsToRun()) {
    const fresh = { wall: [], cpu: [], busiest: [], calls: 0 };
    const variants: Variant[] =
      [{ label: 'fixed build, 1 thread', threads: 1, vae: viaApi(await EdgeVae.load(m.bytes, { wasm, maxBatch: 1 })),
        ...structuredClone(fresh) }];
    for (const t of threadCounts) {
      // threads: 1 on the threaded build would load the fixed one; a team of 1 is the threaded build's own baseline
      if (t < 2) continue;
      variants.push(
        { label: `threaded build, ${t} threads`, threads: t, vae: viaApi(await loadModel(m.bytes, { threads: t, maxBatch: 1 })),
          ...structuredClone(fresh) });
      variants.push(
        { label: `threaded build, ${t} threads, no spinning`, threads: t, vae: await noSpinTeam(m.bytes, t), ...structuredClone(fresh) });
    }
    const z = seededNormal(variants[0]!.vae.latentSize, 11);
    const reference = variants[0]!.vae.decode(z);
    for (const v of variants) {
      const got = v.vae.decode(z);
      if (!Buffer.from(got.buffer).equals(Buffer.from(reference.buffer))) throw new Error(`${m.id}: ${v.label} differs from one thread`);
      for (let i = 0; i < 5; i++) v.vae.decode(z); // warm-up
    }
    const perThread = variants.map(() => new Map<string, number>());
    for (let r = 0; r < rounds; r++) {
      variants.forEach((v, k) => {
        const before = threadCpu();
        const c0 = process.cpuUsage(), t0 = performance.now();
        for (let i = 0; i < calls; i++) v.vae.decode(z);
        const wall = (performance.now() - t0) / calls, cu = process.cpuUsage(c0);
        v.wall.push(wall); v.cpu.push((cu.user + cu.system) / 1000 / calls);
        v.calls += calls;
        for (const [tid, ms] of threadCpu()) perThread[k]!.set(tid, (perThread[k]!.get(tid) ?? 0) + ms - (before.get(tid) ?? ms));
      });
    }
    // the busiest threads of each variant over all rounds: the team's members (plus noise from V8's helpers)
    variants.forEach((v, k) => {
      v.busiest = [...perThread[k]!.values()].sort((a, b) => b - a).slice(0, v.threads).map((ms) => ms / v.calls);
    });
    const base = median(variants[0]!.wall);
    for (const v of variants) {
      table.push(
        `| ${m.id} | ${v.label} | ${median(v.wall).toFixed(3)} | ${(base / median(v.wall)).toFixed(2)}x | ${median(v.cpu).toFixed(3)} | ` +
        `${v.busiest.map((ms) => ms.toFixed(2)).join(' + ')} |`);
      await v.vae.close();
    }
  }
  const loadAfter = loadavg();
  lines.push('# Intra-op threads: batch-1 decode latency', '');
  lines.push(`\`nice npx tsx bench/threads-speed.ts --rounds=${rounds} --calls=${calls} --threads=${threadCounts.join(',')}\` on ` +
    `${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${availableParallelism()} cores ` +
      `(${cpus()[0]?.model ?? 'unknown CPU'}). ` +
    `Load average ${loadBefore.map((x) => x.toFixed(2)).join(' / ')} before and ${loadAfter.map((x) => x.toFixed(2)).join(' / ')} after ` +
    '(1 / 5 / 15 min; other jobs share the machine).', '');
  lines.push(`Medians over ${rounds} interleaved rounds of ${calls} calls; every variant's output was checked to be bit-identical to the ` +
    'fixed build on one thread before timing. "CPU ms" is the process CPU time per call summed over all its threads: with ' +
    'N threads it stays near the one-thread figure when the split adds little work, and the wall time drops only as far as ' +
    'the cores are free.', '');
  lines.push('"busiest threads" is the CPU time per call of the variant\'s N busiest threads over all its rounds (Linux ' +
    '/proc, 10 ms ticks): the team members\' shares, spinning at barriers included. "no spinning" teams sleep at ' +
    'once at every barrier, so their shares are the members\' own work (plus futex calls): on free cores the wall time ' +
    'of a team approaches its largest share.', '');
  lines.push('| model | runtime | wall ms (median) | speed-up | CPU ms per call (all threads) | busiest threads, CPU ms per call |',
    '|---|---|---:|---:|---:|---|', ...table, '');
  const text = lines.join('\n');
  writeFileSync(`${out}.tmp`, text);
  renameSync(`${out}.tmp`, out);
  console.log(text);
}

await main();
