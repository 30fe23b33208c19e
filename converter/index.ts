// Public converter API: ONNX encoder/decoder -> one .evae file (f32), plus convertGraph for arbitrary
// single-input graphs (exposed as the decode entry; used by the ONNX conformance tests).
import { EntryKind } from '../runtime/format-constants.js';
import { emitEntry, type EmitContext } from './emit.js';
import type { ImportOptions } from './import.js';
import { elementCount, type Graph } from './ir.js';
import { loadOnnx, type ConstTensor, type OnnxModel } from './onnx-load.js';
import { buildGraph, splitHalves, type GraphStats } from './pipeline.js';
import { planArena } from './plan.js';
import { writeModel, type WEntry } from './writer.js';
import { readModel } from '../runtime/format.js';
import { checkQuantFlags, quantizeWithFlags } from './quantize/from-files.js';
import type { QuantizeReport } from './quantize/index.js';

export const PRODUCER = 'edgevae-converter 0.1.0';

export interface ConvertOptions {
  /** file path (external data resolved next to it) or model bytes */
  encoder?: string | Uint8Array;
  decoder?: string | Uint8Array;
  name?: string;
  /** f32 (default), f16, int8-weights, int8 or mixed: see docs/quantization.md */
  quant?: string;
  /** calibration images for int8/mixed (IDX file, image folder, .npy, "fashion-mnist") */
  calib?: string;
  calibMethod?: string;
  /** mixed: mean PSNR to reach (dB) */
  targetPsnr?: number;
  /** per-sample encoder input shape (e.g. [3, 64, 64]): fixes symbolic dims such as height/width */
  inputShape?: number[];
  /** per-sample decoder input (latent) shape: fixes its symbolic dims */
  latentShape?: number[];
}

export interface EntryReport extends GraphStats { kind: 'encode' | 'decode'; ops: number; arenaPerSample: number; inputShape: number[]; outputShapes: number[][] }

export interface ConvertReport {
  /** what --quant chose (absent for f32) */
  quantization?: QuantizeReport;
  entries: EntryReport[];
  /** things the converter decided that the user should know about */
  notes: string[];
  latentSize?: number;
  arenaPerSample: number;
  fileBytes: number;
}

interface Part { kind: EntryKind; model: OnnxModel; graph: Graph; stats: GraphStats }

export async function convert(opts: ConvertOptions): Promise<{ bytes: Uint8Array; report: ConvertReport }> {
  if (opts.quant && opts.quant !== 'f32') checkQuantFlags({ quant: opts.quant, calibMethod: opts.calibMethod, targetPsnr: opts.targetPsnr });
  if (!opts.encoder && !opts.decoder) throw new Error('convert needs an encoder and/or a decoder model');
  if (opts.inputShape && !opts.encoder) throw new Error('--input-shape fixes the encoder input: give --encoder (for the decoder input use --latent-shape)');
  if (opts.latentShape && !opts.decoder) throw new Error('--latent-shape fixes the decoder input: give --decoder');
  const notes: string[] = [];
  const parts: Part[] = [];
  if (opts.encoder) {
    const model = await loadOnnx(opts.encoder);
    if (model.outputs.length > 2) {
      notes.push(`encoder has ${model.outputs.length} outputs: using the first two as mu and logvar, ignoring the rest`);
    }
    const { graph, stats } = buildGraph(model, { outputs: model.outputs.length >= 2 ? [0, 1] : [0], inputShape: opts.inputShape, shapeFlag: '--input-shape' }, (g) => {
      if (g.outputs.length === 1) {
        const L = splitHalves(g);
        notes.push(`encoder has one output of ${2 * L} values: split into mu = [0, ${L}) and logvar = [${L}, ${2 * L})`);
      }
    });
    const [mu, logvar] = graph.outputs.map((o) => elementCount(graph.values[o]!.shape));
    if (mu !== logvar) throw new Error(`encoder outputs mu (${mu} values) and logvar (${logvar} values) differ in size`);
    parts.push({ kind: EntryKind.Encode, model, graph, stats });
  }
  if (opts.decoder) {
    const model = await loadOnnx(opts.decoder);
    if (model.outputs.length > 1) notes.push(`decoder has ${model.outputs.length} outputs: using the first`);
    const { graph, stats } = buildGraph(model, { outputs: [0], inputShape: opts.latentShape, shapeFlag: '--latent-shape' });
    parts.push({ kind: EntryKind.Decode, model, graph, stats });
  }
  const enc = parts.find((p) => p.kind === EntryKind.Encode);
  const dec = parts.find((p) => p.kind === EntryKind.Decode);
  const encLatent = enc ? elementCount(enc.graph.values[enc.graph.outputs[0]!]!.shape) : undefined;
  const decLatent = dec ? elementCount(dec.graph.inputShape) : undefined;
  if (encLatent !== undefined && decLatent !== undefined && encLatent !== decLatent) {
    throw new Error(`encoder latent size ${encLatent} differs from decoder input size ${decLatent}`);
  }
  const latentSize = encLatent ?? decLatent;
  const meta: Record<string, unknown> = {
    name: opts.name ?? ((enc ?? dec)!.model.graphName || 'model'),
    producer: PRODUCER,
    source: Object.fromEntries(parts.map((p) => [p.kind === EntryKind.Encode ? 'encoder' : 'decoder', sourceInfo(p.model)])),
    latentSize,
    quantization: 'f32',
    created: new Date().toISOString(),
  };
  if (enc) meta.encoder = { inputShape: enc.graph.inputShape, outputShapes: enc.graph.outputShapes };
  if (dec) meta.decoder = { inputShape: dec.graph.inputShape, outputShape: dec.graph.outputShapes[0] };
  if (enc) meta.inputShape = enc.graph.inputShape;
  const floatModel = await assemble(parts, meta, notes, latentSize);
  if (!opts.quant || opts.quant === 'f32') return floatModel;
  const q = await quantizeWithFlags(floatModel.bytes, { quant: opts.quant, calib: opts.calib, calibMethod: opts.calibMethod, targetPsnr: opts.targetPsnr });
  validated(q.bytes);
  notes.push(...q.report.notes);
  for (const e of q.report.entries) notes.push(`${e.kind}: ${e.int8Ops} int8 ops, ${e.floatOps} float${e.psnrDb !== undefined ? ` (${e.psnrDb.toFixed(2)} dB)` : ''}`);
  return { bytes: q.bytes, report: { ...floatModel.report, fileBytes: q.bytes.byteLength, quantization: q.report } };
}

/** Converts an arbitrary single-input graph into a model whose `decode` entry computes output `output` (default 0). */
export async function convertGraph(
  model: string | Uint8Array,
  opts: { constantInputs?: Record<string, Float32Array | ConstTensor>; output?: number } = {},
): Promise<Uint8Array> {
  const m = await loadOnnx(model);
  const k = opts.output ?? 0;
  if (k < 0 || k >= m.outputs.length) throw new Error(`convertGraph: output ${k} does not exist (the graph has ${m.outputs.length})`);
  const importOpts: ImportOptions = { constantInputs: opts.constantInputs, outputs: [k] };
  const { graph, stats } = buildGraph(m, importOpts);
  const meta: Record<string, unknown> = {
    name: m.graphName || 'graph', producer: PRODUCER, source: { graph: sourceInfo(m) }, quantization: 'f32',
    created: new Date().toISOString(), decoder: { inputShape: graph.inputShape, outputShape: graph.outputShapes[0] },
  };
  return (await assemble([{ kind: EntryKind.Decode, model: m, graph, stats }], meta, [])).bytes;
}

function sourceInfo(m: OnnxModel) {
  return { producer: m.producerName, version: m.producerVersion, opset: m.opset, irVersion: m.irVersion };
}

async function assemble(parts: Part[], meta: Record<string, unknown>, notes: string[], latentSize?: number) {
  const ctx: EmitContext = { tensors: [] };
  const entries: WEntry[] = [];
  const layers: Record<string, string[]> = {};
  const reports: EntryReport[] = [];
  let arena = 16;
  for (const p of parts) {
    const plan = planArena(p.graph);
    const { entry, layers: names } = emitEntry(ctx, p.graph, plan, p.kind);
    const kind = p.kind === EntryKind.Encode ? 'encode' : 'decode';
    entries.push(entry);
    layers[kind] = names;
    arena = Math.max(arena, plan.arenaPerSample);
    reports.push({ kind, ops: entry.ops.length, arenaPerSample: plan.arenaPerSample, inputShape: p.graph.inputShape, outputShapes: p.graph.outputShapes, ...p.stats });
  }
  meta.layers = layers;
  const bytes = validated(writeModel({ meta, tensors: ctx.tensors, entries, arenaPerSample: arena }));
  return { bytes, report: { entries: reports, notes, latentSize, arenaPerSample: arena, fileBytes: bytes.byteLength } };
}

/** Safety net: never hand out (or let the CLI write) a file the loaders would refuse. */
function validated(bytes: Uint8Array): Uint8Array {
  try {
    readModel(bytes);
  } catch (e) {
    throw new Error(`the converted model does not pass validation (an input the converter should have refused): ${(e as Error).message}`);
  }
  return bytes;
}
