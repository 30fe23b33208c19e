// What a WebGPU adapter is, in the words the backend choice needs: hardware or software (SwiftShader).
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Chromium marks SwiftShader (CPU emulation) as a fallback adapter */
  isFallbackAdapter: boolean;
}

export function isSoftwareAdapter(a: AdapterSummary): boolean {
  return a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${a.architecture} ${a.device} ${a.description}`);
}

export function describeAdapter(a: AdapterSummary): string {
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  return `${name || 'unnamed adapter'}${isSoftwareAdapter(a) ? ' (software)' : ''}`;
}
