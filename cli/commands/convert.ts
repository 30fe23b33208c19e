// edgevae convert: ONNX encoder/decoder -> one .evae file (converter/index.ts does the work).
import { basename } from 'node:path';
import { existsSync } from 'node:fs';
import type { BuiltinCommand } from '../command.js';
import { requireString, type Flags } from '../args.js';
import { usageError, UserError } from '../errors.js';
import { checkOutputPath, writeOutput } from '../io.js';

interface ConverterModule {
  convert(opts: { encoder?: string; decoder?: string; name?: string; quant?: string; calib?: string; calibMethod?: string; targetPsnr?: number; inputShape?: number[]; latentShape?: number[] }): Promise<{ bytes: Uint8Array; report: { notes?: string[]; latentSize?: number; fileBytes?: number } }>;
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
  --latent-shape C,H,W  per-sample decoder input shape, fixing symbolic dims`,
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
  },
  async run(flags: Flags) {
    const output = requireString(flags, 'output', 'convert');
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
      result = await converter.convert({ encoder, decoder, name, quant: flags.quant as string | undefined, calib: flags.calib as string | undefined,
        calibMethod: flags['calib-method'] as string | undefined, targetPsnr, inputShape, latentShape });
    } catch (e) {
      // Converter errors describe the ONNX problem; show them as one line.
      throw new UserError(`convert: ${(e as Error).message}`);
    }
    writeOutput(output, result.bytes);
    for (const note of result.report.notes ?? []) console.log(`note: ${note}`);
    console.log(`wrote ${output} (${result.bytes.length} bytes${result.report.latentSize ? `, latent size ${result.report.latentSize}` : ''})`);
  },
};

/** --input-shape 3,64,64 -> [3, 64, 64] (positive integers, comma separated). */
function shapeFlag(flags: Flags, name: string): number[] | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const dims = String(v).split(',').map((d) => d.trim());
  if (dims.length === 0 || dims.length > 4 || dims.some((d) => !/^[1-9]\d*$/.test(d))) {
    throw usageError(`convert: --${name} must be 1 to 4 positive integers separated by commas (per sample, no batch), e.g. 3,64,64; got '${v}'`);
  }
  return dims.map(Number);
}
