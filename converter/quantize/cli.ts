// `edgevae quantize`: an existing float .evae -> a quantized one (same options as `convert --quant`).
import { parseArgs } from 'node:util';
import { checkQuantFlags, quantizeWithFlags } from './from-files.js';
import { attachNegativeValues } from '../../cli/args.js';
import { checkOutputPath, writeOutput } from '../../cli/io.js';
import { readInputFile } from '../../runtime/node.js';

const HELP = `Usage: edgevae quantize --model model.evae --quant MODE -o out.evae [--calib SRC] [--calib-method minmax|percentile] [--target-psnr 40]

  --quant MODE        f16 | int8-weights | int8 | int8-relaxed | mixed (see docs/quantization.md)
  --calib SRC         calibration images: an IDX file, an image folder, a .npy file, or "fashion-mnist"
                      (needed for int8/mixed when the model has an encoder)
  --calib-method M    percentile (default: 0.01% / 99.99%) or minmax
  --target-psnr DB    mixed: keep layers in float until the mean PSNR reaches DB (default 40)`;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let target: number | undefined;
  const usage = (message: string): number => {
    process.stderr.write(`edgevae quantize: ${message.replace(/\. To specify a positional argument.*$/s, '')} (see "edgevae quantize --help")\n`);
    return 2;
  };
  try {
    const options = {
      model: { type: 'string' }, quant: { type: 'string' }, output: { type: 'string', short: 'o' }, calib: { type: 'string' },
      'calib-method': { type: 'string' }, 'target-psnr': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } as const;
    ({ values } = parseArgs({ args: attachNegativeValues(argv, options), strict: true, allowPositionals: false, options }));
    if (values.help) { console.log(HELP); return 0; }
    for (const f of ['model', 'quant', 'output']) if (typeof values[f] !== 'string') return usage(`missing --${f}`);
    target = values['target-psnr'] === undefined ? undefined : Number(values['target-psnr']);
    checkQuantFlags({ quant: values.quant as string, calibMethod: values['calib-method'] as string | undefined, targetPsnr: target });
  } catch (e) {
    return usage((e as Error).message);
  }
  try {
    checkOutputPath(values.output as string);
    const { bytes, report } = await quantizeWithFlags(readInputFile(values.model as string, 'model file'), {
      quant: values.quant as string, calib: values.calib as string | undefined, calibMethod: values['calib-method'] as string | undefined, targetPsnr: target,
    });
    writeOutput(values.output as string, bytes);
    console.log(`wrote ${values.output} (${bytes.length} bytes, ${report.mode})`);
    for (const e of report.entries) console.log(`  ${e.kind}: ${e.int8Ops} int8 ops, ${e.floatOps} float${e.psnrDb !== undefined ? `, ${e.psnrDb.toFixed(2)} dB` : ''}`);
    for (const n of report.notes) console.log(`note: ${n}`);
    return 0;
  } catch (e) {
    process.stderr.write(`edgevae quantize: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}
