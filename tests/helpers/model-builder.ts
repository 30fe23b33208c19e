// Builds small .evae models op by op for tests (one entry). Thin layer over converter/writer.ts.
import { writeModel, type WOp, type WTensor } from '../../converter/writer.js';
import { DType, EntryKind, LayoutMode, Op, TensorKind } from '../../runtime/format-constants.js';

export class ModelBuilder {
  readonly tensors: WTensor[] = [];
  readonly ops: WOp[] = [];

  constF32(values: ArrayLike<number>, dims: number[]): number {
    const data = new Uint8Array(Float32Array.from(values).buffer);
    return this.add({ kind: TensorKind.Constant, dtype: DType.F32, dims, data });
  }

  constRaw(dtype: DType, data: Uint8Array, dims: number[]): number {
    return this.add({ kind: TensorKind.Constant, dtype, dims, data });
  }

  activation(dims: number[], dtype: DType = DType.F32, extra: Partial<WTensor> = {}): number {
    return this.add({ kind: TensorKind.Activation, dtype, dims, ...extra });
  }

  op(o: WOp): number {
    this.ops.push(o);
    return o.out;
  }

  /** A rank-1 entry input of C*H*W floats (ONNX CHW order) and its HWC [C,H,W] copy. */
  spatialInput(C: number, H: number, W: number): { input: number; hwc: number } {
    const input = this.activation([C * H * W]);
    const hwc = this.activation([C, H, W]);
    this.op({ op: Op.Layout, out: hwc, a: input, params: [LayoutMode.ChwToHwc, C, H, W] });
    return { input, hwc };
  }

  /** A rank-1 entry output in ONNX CHW order, filled from the HWC tensor `hwc` = [C,H,W]. */
  spatialOutput(hwc: number, C: number, H: number, W: number): number {
    const out = this.activation([C * H * W]);
    this.op({ op: Op.Layout, out, a: hwc, params: [LayoutMode.HwcToChw, C, H, W] });
    return out;
  }

  build(input: number, outputs: number[], kind: EntryKind = EntryKind.Decode): Uint8Array {
    return writeModel({ meta: { name: 'test' }, tensors: this.tensors, entries: [{ kind, input, outputs, ops: this.ops }] });
  }

  private add(t: WTensor): number {
    this.tensors.push(t);
    return this.tensors.length - 1;
  }
}
