// Records every WebAssembly.Memory the process creates or receives from an instance, so the bench can
// report each engine's linear memory size. Installed in the engine child processes before any engine loads.

const seen: WeakRef<WebAssembly.Memory>[] = [];
let installed = false;

function record(memory: unknown): void {
  if (memory instanceof WebAssembly.Memory && !seen.some((r) => r.deref() === memory)) seen.push(new WeakRef(memory));
}

function recordExports(result: unknown): void {
  const instance = result instanceof WebAssembly.Instance ? result : (result as { instance?: WebAssembly.Instance })?.instance;
  for (const value of Object.values(instance?.exports ?? {})) record(value);
}

export function installWasmMemoryProbe(): void {
  if (installed) return;
  installed = true;
  const W = WebAssembly as unknown as Record<string, unknown>;
  // Proxies (not subclasses): `x instanceof WebAssembly.Memory` must stay true for exported memories.
  W.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args, newTarget) {
      const memory = Reflect.construct(target, args, newTarget) as WebAssembly.Memory;
      record(memory);
      return memory;
    },
  });
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (...a: unknown[]) => Promise<unknown>;
  W.instantiate = async (...args: unknown[]) => {
    const result = await instantiate(...args);
    recordExports(result);
    return result;
  };
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    const streaming = WebAssembly.instantiateStreaming.bind(WebAssembly) as (...a: unknown[]) => Promise<unknown>;
    W.instantiateStreaming = async (...args: unknown[]) => {
      const result = await streaming(...args);
      recordExports(result);
      return result;
    };
  }
  W.Instance = new Proxy(WebAssembly.Instance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget) as WebAssembly.Instance;
      recordExports(instance);
      return instance;
    },
  });
}

/** Live memories, in creation order. */
export function liveWasmMemories(): WebAssembly.Memory[] {
  return seen.map((r) => r.deref()).filter((m): m is WebAssembly.Memory => m !== undefined);
}
