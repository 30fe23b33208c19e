// edgevae convert: ONNX encoder/decoder -> one .evae file (converter/index.ts does the work).
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import type { BuiltinCommand } from '../command.js';
import { requireString, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath, writeOutput } from '../io.js';

interface ConverterModule {
  convert(
    opts: { encoder?: string; decoder?: string; name?: string; quant?: string; calib?: string; calibMethod?: string; targetPsnr?: number;
      inputShape?: number[]; latentShape?: number[] }): Promise<{ bytes: Uint8Array;
        report: { notes?: string[]; latentSize?: number; fileBytes?: number } }>;
}

export const convertCommand: BuiltinCommand = {
  kind: 'builtin',
  summary: 'convert ONNX encoder/decoder models into one .evae file (--quant f16|int8-weights|int8|mixed)',
  help: `Usage: edgevae convert --encoder enc.onnx --decoder dec.onnx -o model.evae [--name NAME] [--quant MODE --calib SRC]

Converts an ONNX VAE (encoder and/or decoder) into the flat .evae format.

  --encoder FILE    ONNX encoder: x -> (mu, logvar), or one output of 2*latent values
  --decoder FILE    ONNX decoder: z -> x
  -o, --output FILE the .evae file to write
  --name NAME       model name stored in the metadata (default: output file name)
  --quant MODE      f32 (default) | f16 | int8-weights | int8 | int8-relaxed | mixed (docs/quantization.md)
  --calib SRC       int8/mixed calibration images: IDX file, image folder, .npy, or fashion-mnist
  --calib-method M  percentile (default) | minmax
  --target-psnr DB  mixed: mean PSNR the quantized decoder must reach (default 40)
  --input-shape C,H,W   per-sample encoder input shape, fixing symbolic dims (height/width)
  --latent-shape C,H,W  per-sample decoder input shape, fixing symbolic dims

Sequence models (docs/sequence.md) become one .evae with seq-encode, seq-init and seq-step entries:
  --seq DIR         the folder "edgevae train --model seq" wrote (encoder.onnx, decoder-init.onnx,
                    decoder-step.onnx, vocab.json)
  --decoder-init FILE --decoder-step FILE --vocab vocab.json [--encoder FILE]   the same files one by one`,
  flags: {
    encoder: { type: 'string' },
    decoder: { type: 'string' },
    output: { type: 'string', short: 'o' },
    name: { type: 'string' },
    quant: { type: 'string' },
    calib: { type: 'string' },
    'calib-method': { type: 'string' },
    'target-psnr': { type: 'string' },
    'input-shape': { type: 'string' },
    'latent-shape': { type: 'string' },
    seq: { type: 'string' },
    'decoder-init': { type: 'string' },
    'decoder-step': { type: 'string' },
    vocab: { type: 'string' },
  },
  async run(flags: Flags) {
    const output = requireString(flags, 'output', 'convert');
    if (flags.seq !== undefined || flags['decoder-step'] !== undefined || flags['decoder-init'] !== undefined ||
      flags.vocab !== undefined) {
      return convertSequenceFlags(flags, output);
    }
    const encoder = flags.encoder as string | undefined;
    const decoder = flags.decoder as string | undefined;
    if (!encoder && !decoder) throw usageError('convert: give --encoder and/or --decoder (see "edgevae convert --help")');
    for (const [flag, path] of [['encoder', encoder], ['decoder', decoder]] as const) {
      if (path !== undefined && !existsSync(path)) throw new UserError(`convert: --${flag} ${path} does not exist`);
    }
    const inputShape = shapeFlag(flags, 'input-shape');
    const latentShape = shapeFlag(flags, 'latent-shape');
    const targetPsnr = flags['target-psnr'] === undefined ? undefined : Number(flags['target-psnr']);
    const quant = flags.quant as string | undefined;
    if (quant !== undefined && quant !== 'f32') {
      const { checkQuantFlags } = await import('../../converter/quantize/from-files.js');
      try {
        checkQuantFlags({ quant, calibMethod: flags['calib-method'] as string | undefined, targetPsnr });
      } catch (e) {
        throw usageError(`convert: ${(e as Error).message}`);
      }
    }
    checkOutputPath(output);
    const converter = (await import('../../converter/index.js')) as unknown as ConverterModule;
    const name = (flags.name as string | undefined) ?? basename(output).replace(/\.evae$/, '');
    let result: Awaited<ReturnType<ConverterModule['convert']>>;
    try {
      result =
        await converter.convert(
          { encoder, decoder, name, quant: flags.quant as string | undefined, calib: flags.calib as string | undefined,
        calibMethod: flags['calib-method'] as string | undefined, targetPsnr, inputShape, latentShape });
    } catch (e) {
      // Converter errors describe the ONNX problem; show them as one line.
      throw new UserError(`convert: ${(e as Error).message}`);
    }
    writeOutput(output, result.bytes);
    for (const note of result.report.notes ?? []) console.log(`note: ${note}`);
    console.log(
      `wrote ${output} (${result.bytes.length} bytes${result.report.latentSize ? `, latent size ${result.report.latentSize}` : ''})`);
  },
};

/** --input-shape 3,64,64 -> [3, 64, 64] (positive integers, comma separated). */
function shapeFlag(flags: Flags, name: string): number[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const dims = String(v).split(',').map((d) => d.trim());
  if (dims.length === 0 || dims.length > 4 || dims.some((d) => !/^[1-9]\d*$/.test(d))) {
    throw usageError(
      `convert: --${name} must be 1 to 4 positive integers separated by commas (per sample, no batch), e.g. 3,64,64; got '${v}'`);
  }
  return dims.map(Number);
}

/** The sequence-model form of convert: --seq DIR, or --decoder-init/--decoder-step/--vocab (+ --encoder). */
async function convertSequenceFlags(flags: Flags, output: string): Promise<void> {
  for (const f of ['decoder', 'calib', 'calib-method', 'target-psnr', 'input-shape', 'latent-shape']) {
    if (flags[f] !== undefined) throw usageError(`convert: --${f} does not apply to sequence models`);
  }
  const quant = (flags.quant as string | undefined) ?? 'f32';
  if (!['f32', 'f16', 'int8-weights', 'int8'].includes(quant)) throw usageError(
    `convert: sequence models take --quant f32, f16, int8-weights or int8, got '${quant}'`);
  const dir = flags.seq as string | undefined;
  const paths: Record<string, string | undefined> = dir !== undefined
    ? { encoder: `${dir}/encoder.onnx`, 'decoder-init': `${dir}/decoder-init.onnx`, 'decoder-step': `${dir}/decoder-step.onnx`,
      vocab: `${dir}/vocab.json` }
    : { encoder: flags.encoder as string | undefined, 'decoder-init': flags['decoder-init'] as string | undefined,
      'decoder-step': flags['decoder-step'] as string | undefined, vocab: flags.vocab as string | undefined };
  if (dir !== undefined) {
    if (!existsSync(dir)) throw new UserError(`convert: --seq ${dir} does not exist`);
    if (['encoder', 'decoder-init', 'decoder-step', 'vocab'].some((f) => flags[f] !== undefined)) throw usageError(
      'convert: give either --seq DIR or the files one by one, not both');
  }
  for (const f of ['decoder-init', 'decoder-step', 'vocab'] as const) {
    if (paths[f] === undefined) throw usageError(`convert: a sequence model needs --${f} (or --seq DIR)`);
    if (!existsSync(paths[f]!)) throw new UserError(
      `convert: ${dir !== undefined ? `${dir} has no ${basename(paths[f]!)}` : `--${f} ${paths[f]} does not exist`}`);
  }
  let encoder = paths.encoder;
  if (encoder !== undefined && !existsSync(encoder)) {
    if (dir === undefined) throw new UserError(`convert: --encoder ${encoder} does not exist`);
    encoder = undefined; // a folder without an encoder converts the decoder alone
  }
  checkOutputPath(output);
  const { convertSequence, readVocab } = await import('../../converter/sequence.js');
  const name = (flags.name as string | undefined) ?? basename(output).replace(/\.evae$/, '');
  let result: Awaited<ReturnType<typeof convertSequence>>;
  try {
    result =
      await convertSequence(
        { encoder, decoderInit: paths['decoder-init']!, decoderStep: paths['decoder-step']!, vocab: readVocab(paths.vocab!), name });
    if (quant !== 'f32') {
      const { quantizeModel } = await import('../../converter/quantize/index.js');
      result = { ...result, bytes: (await quantizeModel(result.bytes, { mode: quant as 'f16' | 'int8-weights' | 'int8' })).bytes };
    }
  } catch (e) {
    throw new UserError(`convert: ${(e as Error).message}`);
  }
  writeOutput(output, result.bytes);
  const r = result.report;
  console.log(
    `wrote ${output} (${result.bytes.length} bytes, ${quant}, sequence model: ${r.vocabSize} tokens, latent size ${r.latentSize}, ` +
    `state ${r.stateSize} values, at most ${r.maxLength} tokens; entries ${r.entries.map((e) => e.kind).join(', ')})`);
}
