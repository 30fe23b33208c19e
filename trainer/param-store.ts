// The named tf.Variables of a trainer model, made from its parameter specs and weights: lookup, the variable
// list the optimizer differentiates, copying weights out (checkpoints, export), parameter count and dispose.
import * as tf from '@tensorflow/tfjs-core';

export interface ParamSpec {
  name: string;
  shape: number[];
  fanIn: number;
  fanOut: number;
  isBias: boolean;
}

let counter = 0;

export class ParamStore {
  readonly params = new Map<string, tf.Variable>();

  /** `variablePrefix` starts each tf variable name (they must be unique across all live models). */
  constructor(readonly specs: ParamSpec[], weights: Map<string, Float32Array>, variablePrefix: string) {
    for (const spec of specs) {
      const values = weights.get(spec.name);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (!values) throw new Error(`model weights: missing tensor '${spec.name}'`);
      if (values.length !== size) {
        throw new Error(`model weights: '${spec.name}' has ${values.length} values, expected ${size} for shape [${spec.shape}]`);
      }
      counter += 1;
      this.params.set(spec.name, tf.variable(tf.tensor(values, spec.shape), true, `${variablePrefix}${spec.name}_${counter}`));
    }
  }

  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`model: no parameter '${name}'`);
    return v;
  }

  variables(): tf.Variable[] {
    return this.specs.map((s) => this.p(s.name));
  }

  /** Copies every weight out of the backend (for checkpoints and export). */
  async weights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const spec of this.specs) out.set(spec.name, (await this.p(spec.name).data()) as Float32Array);
    return out;
  }

  parameterCount(): number {
    return this.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** x W + b with the parameters `${name}.w` and `${name}.b`. */
  protected dense(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.p(`${name}.w`) as tf.Tensor2D), this.p(`${name}.b`));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
