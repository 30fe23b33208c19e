// tfjs convolution attributes -> the module's ConvGeometry, via tfjs's own shape/padding logic
// (backend_util.computeConv2DInfo), so 'same' / 'valid' / explicit pads and rounding match tfjs exactly.
import { backend_util } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './train-module.js';

type Shape4 = [number, number, number, number];

export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The geometry, or a reason why the fast kernels cannot run this convolution. */
export function convGeometry(
  inShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): { geometry: ConvGeometry } | { unsupported: string } {
  if (inShape.length !== 4 || filterShape.length !== 4) {
    return { unsupported: `rank-4 input and filter expected, got [${inShape}] and [${filterShape}]` };
  }
  const format = backend_util.convertConv2DDataFormat(attrs.dataFormat ?? 'NHWC');
  if (format !== 'channelsLast') return { unsupported: `data format ${attrs.dataFormat} (only NHWC)` };
  const info = backend_util.computeConv2DInfo(
    inShape as Shape4, filterShape as Shape4, attrs.strides, attrs.dilations ?? 1, attrs.pad,
    attrs.dimRoundingMode, false, format,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return { unsupported: `dilation ${info.dilationHeight}x${info.dilationWidth} (only 1)` };
  }
  return {
    geometry: {
      batch: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      inChannels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      outChannels: info.outChannels,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    },
  };
}
