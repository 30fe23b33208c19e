// tfjs kernel functions for Conv2D, FusedConv2D (+ bias, linear/relu), Conv2DBackpropInput (also
// conv2dTranspose) and Conv2DBackpropFilter on top of the train-kernel module.
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { applyBiasActivation, unsupportedEpilogue } from './bias-activation.js';
import { convGeometry, type ConvAttrs } from './conv-info.js';
import type { FastKernelImpl } from './fast-kernel.js';

export type ConvKernelName = 'Conv2D' | 'FusedConv2D' | 'Conv2DBackpropInput' | 'Conv2DBackpropFilter';

export function convKernel(name: ConvKernelName): FastKernelImpl {
  return ({ inputs, attrs: rawAttrs }, io, mod) => {
    const attrs = rawAttrs as unknown as ConvAttrs & NamedAttrMap;
    let inShape: number[];
    let filterShape: number[];
    if (name === 'Conv2D' || name === 'FusedConv2D') {
      inShape = inputs.x!.shape;
      filterShape = inputs.filter!.shape;
    } else if (name === 'Conv2DBackpropInput') {
      inShape = attrs.inputShape as unknown as number[];
      filterShape = inputs.filter!.shape;
    } else {
      inShape = inputs.x!.shape;
      filterShape = attrs.filterShape as unknown as number[];
    }
    const geo = convGeometry(inShape, filterShape, attrs);
    if ('unsupported' in geo) return { unsupported: geo.unsupported };
    const g = geo.geometry;
    const dims = [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels];
    if (dims.some((v) => v === 0)) return { unsupported: 'an empty tensor' };
    const outShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];

    // Inputs are read inside the callback: creating the output may grow the wasm heap and
    // detach views taken earlier.
    let result: TensorInfo;
    if (name === 'Conv2D') {
      result = io.write(outShape, (out) => mod.conv2d(io.read(inputs.x!), io.read(inputs.filter!), g, out));
    } else if (name === 'FusedConv2D') {
      const { bias, preluActivationWeights } = inputs;
      const activation = attrs.activation as string | undefined;
      const why = unsupportedEpilogue(g.outChannels, bias, activation, preluActivationWeights);
      if (why) return { unsupported: why };
      result = io.write(outShape, (out) => {
        mod.conv2d(io.read(inputs.x!), io.read(inputs.filter!), g, out);
        applyBiasActivation(out, g.outChannels, bias && io.read(bias), activation);
      });
    } else if (name === 'Conv2DBackpropInput') {
      checkShape(name, 'dy', inputs.dy!.shape, outShape);
      result = io.write(inShape, (out) => mod.conv2dBackpropInput(io.read(inputs.dy!), io.read(inputs.filter!), g, out));
    } else {
      checkShape(name, 'dy', inputs.dy!.shape, outShape);
      result = io.write(filterShape, (out) => mod.conv2dBackpropFilter(io.read(inputs.x!), io.read(inputs.dy!), g, out));
    }
    return result;
  };
}

function checkShape(kernel: string, what: string, actual: number[], expected: number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${kernel}: ${what} has shape [${actual}], the convolution geometry needs [${expected}]`);
  }
}
