// Runs a candidate model on many samples: through the wasm runtime when it accepts the model (fast, and
// exactly what users will run), otherwise through the TypeScript interpreter.
import { Engine } from '../../runtime/engine.js';
import { readDefaultWasm } from '../../runtime/node.js';
import { writeEditable, type EditableModel } from './editable-model.js';
import { Interpreter } from '../../reference/interpreter.js';

let wasm: Uint8Array | null | undefined;

/** outputs[k][s]: output k of sample s. */
export async function runMany(m: EditableModel | Uint8Array, kind: number, inputs: Float32Array[]): Promise<{ outputs: Float32Array[][]; engine: 'wasm' | 'interpreter' }> {
  const bytes = m instanceof Uint8Array ? m : writeEditable(m);
  const name = kind === 0 ? 'encode' : 'decode';
  if (wasm === undefined) { try { wasm = readDefaultWasm(); } catch { wasm = null; } }
  if (wasm && inputs.length) {
    const engine = await Engine.create(wasm);
    let accepted = true;
    try {
      await engine.load(bytes, Math.min(64, inputs.length));
    } catch {
      accepted = false; // a runtime build that predates a feature this model uses: use the interpreter
    }
    if (accepted) {
      const size = inputs[0]!.length;
      const packed = new Float32Array(inputs.length * size);
      inputs.forEach((x, i) => packed.set(x, i * size));
      const outs = engine.run(name, packed, inputs.length);
      return { engine: 'wasm', outputs: outs.map((o) => { const per = o.length / inputs.length; return inputs.map((_, i) => o.slice(i * per, (i + 1) * per)); }) };
    }
  }
  const { readEditable } = await import('./editable-model.js');
  const interp = new Interpreter(m instanceof Uint8Array ? readEditable(m) : m);
  const per = inputs.map((x) => interp.run(kind, x));
  const count = per[0]?.length ?? 0;
  return { engine: 'interpreter', outputs: Array.from({ length: count }, (_, k) => per.map((o) => o[k]!)) };
}
