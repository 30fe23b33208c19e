// Which PyTorch module an ONNX node came from, for error messages. The dynamo exporter writes it into the
// node's metadata_props (NodeProto field 9, which onnx-proto's schema predates, so it is read here from the
// protobuf wire format); the TorchScript exporter puts the module path into the node name
// ("/decoder/up.0/conv1/Conv").

/** Per graph node (in order): its metadata_props as a map. Empty maps when the file has none. */
export function readNodeMetadata(model: Uint8Array): Map<string, string>[] {
  try {
    return nodeMetadata(model);
  } catch {
    return []; // metadata only improves messages: anything odd in the file is left to the real decoder
  }
}

function nodeMetadata(model: Uint8Array): Map<string, string>[] {
  const graph = lastField(model, 0, model.length, 7); // ModelProto.graph
  if (!graph) return [];
  const out: Map<string, string>[] = [];
  for (const [start, end] of fields(model, graph[0], graph[1], 1)) { // GraphProto.node
    const props = new Map<string, string>();
    for (const [s, e] of fields(model, start, end, 9)) { // NodeProto.metadata_props
      const k = lastField(model, s, e, 1);
      const v = lastField(model, s, e, 2);
      if (k) props.set(utf8(model, k), v ? utf8(model, v) : '');
    }
    out.push(props);
  }
  return out;
}

const decoder = new TextDecoder();
const utf8 = (b: Uint8Array, [s, e]: [number, number]) => decoder.decode(b.subarray(s, e));

/** Byte ranges of every length-delimited field `want` inside [start, end). */
function fields(b: Uint8Array, start: number, end: number, want: number): [number, number][] {
  const found: [number, number][] = [];
  let p = start;
  const varint = (): number => {
    let v = 0, mul = 1, byte: number;
    do {
      if (p >= end) throw new Error('truncated varint');
      byte = b[p++]!;
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    return v;
  };
  while (p < end) {
    const key = varint();
    const field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const len = varint();
      if (p + len > end) throw new Error('truncated field');
      if (field === want) found.push([p, p + len]);
      p += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return found;
}

function lastField(b: Uint8Array, start: number, end: number, want: number): [number, number] | undefined {
  try {
    return fields(b, start, end, want).pop();
  } catch {
    return undefined; // metadata is a nicety: a malformed file fails in the real decoder with a real message
  }
}

/** Python list literal "['', 'body', 'body.1']" -> its strings. */
function pyList(s: string | undefined): string[] {
  if (!s) return [];
  return [...s.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * "PyTorch module decoder.up.0 (torch.nn.modules.conv.Conv2d)" from dynamo metadata, or "PyTorch module
 * decoder.up.0.conv1" from a TorchScript node name; undefined when the node carries neither.
 */
export function describeModule(name: string, meta: Map<string, string> | undefined): string | undefined {
  const scopes = pyList(meta?.get('pkg.torch.onnx.name_scopes'));
  const classes = pyList(meta?.get('pkg.torch.onnx.class_hierarchy'));
  if (scopes.length >= 2) {
    // The last scope is the aten op itself; the one before it is the innermost module.
    const path = scopes[scopes.length - 2]!;
    const cls = classes.length === scopes.length ? classes[classes.length - 2] : undefined;
    return `PyTorch module ${path || '(top level)'}${cls ? ` (${cls})` : ''}`;
  }
  if (name.startsWith('/')) {
    const parts = name.split('/').filter((x) => x).slice(0, -1);
    if (parts.length === 0) return undefined;
    // TorchScript scopes are full paths (down, down.0) or attribute names (norm1): build the dotted path.
    let path = '';
    for (const p of parts) path = path && !p.startsWith(`${path}.`) ? `${path}.${p}` : p;
    return `PyTorch module ${path}`;
  }
  return undefined;
}
