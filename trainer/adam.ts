// Adam (Kingma & Ba) with its moments held as named variables, so a checkpoint can store them and a
// resumed run continues with exactly the same optimizer state.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** number of updates applied so far */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: Map<string, tf.Variable>, opts: AdamOptions) {
    if (!(opts.lr > 0)) throw new Error(`Adam: learning rate must be > 0, got ${opts.lr}`);
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-7;
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** grads: parameter name -> gradient. Every parameter must have one. */
  apply(grads: Map<string, tf.Tensor>): void {
    this.step += 1;
    const t = this.step;
    // Bias corrections folded into the step size, as in the paper's efficient form.
    const alpha = (this.lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) throw new Error(`Adam: no gradient for parameter '${name}'`);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(this.beta1, m), tf.mul(1 - this.beta1, g));
        const v1 = tf.add(tf.mul(this.beta2, v), tf.mul(1 - this.beta2, tf.square(g)));
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(p, tf.div(tf.mul(alpha, m1), tf.add(tf.sqrt(v1), this.epsilon))));
      }
    });
  }

  async moments(): Promise<{ m: Map<string, Float32Array>; v: Map<string, Float32Array> }> {
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const name of this.params.keys()) {
      m.set(name, (await this.m.get(name)!.data()) as Float32Array);
      v.set(name, (await this.v.get(name)!.data()) as Float32Array);
    }
    return { m, v };
  }

  restore(step: number, m: Map<string, Float32Array>, v: Map<string, Float32Array>): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`Adam: bad step ${step} in checkpoint`);
    for (const [name, p] of this.params) {
      const mv = m.get(name);
      const vv = v.get(name);
      if (!mv || !vv) throw new Error(`Adam: checkpoint has no moments for '${name}'`);
      this.m.get(name)!.assign(tf.tensor(mv, p.shape));
      this.v.get(name)!.assign(tf.tensor(vv, p.shape));
    }
    this.step = step;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
