// edgevae WASI command: runs an .evae model on a device with wasmtime (or any WASI preview-1 host).
//   wasmtime run --dir . edgevae-wasi.wasm sample --model m.evae --n 16 --seed 7 --out grid.png
// The runtime code is linked in from assembly/; this file only does argument handling and file I/O.
import { sampleNormal } from "../../assembly/index";
import { fail, print, writeFile, readFile, makeDirectory, EXIT_USAGE, Bytes } from "./io";
import { parseArgs, Args } from "./args";
import { Model, ENCODE, DECODE, setMemoryCap, requireMemory, memoryBytes, readModelFile, declaresSequence, kindName } from "./model";
import { parseNpy, encodeNpy } from "./npy";
import { ImageShape, tile, gridColumns, Pixels } from "./grid";
import { encodePng, encodePnm } from "./image-encode";
import { interpolateLatents } from "./interpolate";
import { sampleSequenceModel, interpolateSequenceModel, SEQUENCE_ONLY_FLAGS } from "./sequence";

const USAGE = `edgevae (WASI) - run an .evae variational autoencoder

usage: edgevae-wasi.wasm COMMAND --flag value ...

commands:
  sample       --model M [--n 16] [--seed 0] [--temperature 1] [--columns C] --out grid.png [--npy x.npy]
  interpolate  --model M --seed-a A --seed-b B [--steps 8] [--mode lerp|slerp] [--temperature 1] --out strip.png
  sample       --model text.evae [--n 16] [--seed 0] [--temperature 0] [--top-k 0] [--max-length N] [--latent-temperature 1]
  interpolate  --model text.evae --from TEXT --to TEXT (or --seed-a A --seed-b B) [--steps 8] [--temperature 0] [--top-k 0]
               sequence models print one line per sequence, as "edgevae sample|interpolate" does in Node;
               melody models also write the sequences as one MIDI file with --out x.mid
  decode       --model M --input z.npy --output x.npy        (float32 [n, latent] -> [n, C, H, W])
  encode       --model M --input x.npy --out-dir D           (writes D/mu.npy and D/logvar.npy)
  info         --model M
  --help

common flags:
  --format png|pgm|ppm   image format (default: from the file extension, else png)
  --max-batch N          samples per run call (default 16)
  --max-memory BYTES     refuse to grow linear memory beyond BYTES (suffixes K, M, G allowed)

Paths are resolved inside the directories granted by the host (wasmtime run --dir .).
`;

const COMMON = ["model", "max-batch", "max-memory"];

function flags(extra: string[]): string[] { return COMMON.concat(extra); }

function parseBytes(args: Args): void {
  if (!args.has("max-memory")) return;
  const raw = args.text("max-memory");
  let scale: u64 = 1;
  let digits = raw;
  const last = raw.length > 0 ? raw.charAt(raw.length - 1).toUpperCase() : "";
  if (last == "K") scale = 1 << 10; else if (last == "M") scale = 1 << 20; else if (last == "G") scale = 1 << 30;
  if (scale != 1) digits = raw.slice(0, raw.length - 1);
  let ok = digits.length > 0 && digits.length <= 12;
  for (let i = 0; i < digits.length; i++) { const c = digits.charCodeAt(i); if (c < 48 || c > 57) ok = false; }
  const value = ok ? U64.parseInt(digits) * scale : 0;
  if (!ok || value == 0 || value > (<u64>4 << 30)) fail("--max-memory must be a byte count like 33554432 or 32M, got \"" + raw + "\"", EXIT_USAGE);
  setMemoryCap(value);
}

function openModel(args: Args, samples: i32): Model {
  parseBytes(args);
  const maxBatch = <i32>args.int("max-batch", min(16, max(1, samples)), 1, 1024);
  const file = preread;
  preread = null;
  return new Model(args.text("model"), maxBatch, file);
}

// The model file openSequenceModel read and found to be an image model, so it is not read twice.
let preread: Bytes | null = null;

/**
 * The model of sample/interpolate when it is a sequence model (loaded with the Node CLI's default batch of 16),
 * else null after refusing the sequence-only flags (the caller then opens it as an image model).
 */
function openSequenceModel(args: Args, command: string): Model | null {
  parseBytes(args);
  const path = args.text("model");
  const file = readModelFile(path);
  if (!declaresSequence(file)) {
    for (let i = 0; i < SEQUENCE_ONLY_FLAGS.length; i++) {
      if (args.has(SEQUENCE_ONLY_FLAGS[i])) fail(command + ": --" + SEQUENCE_ONLY_FLAGS[i] + " is for sequence models", EXIT_USAGE);
    }
    preread = file;
    return null;
  }
  return new Model(path, <i32>args.int("max-batch", 16, 1, 65535), file);
}

/**
 * ONNX shape of one decoder output: the first `outputShape`/`inputShape` array in the metadata whose
 * element count matches (as runtime/index.ts does), else the flat [size].
 */
function outputShape(model: Model, size: i32): i32[] {
  const meta = model.metadata();
  const keys = ["\"outputShape\"", "\"inputShape\""];
  for (let k = 0; k < keys.length; k++) {
    let at = meta.indexOf(keys[k]);
    while (at >= 0) {
      const colon = meta.indexOf(":", at);
      const open = meta.indexOf("[", colon), close = meta.indexOf("]", colon);
      if (open == colon + 1 && close > open) {
        const parts = meta.slice(open + 1, close).split(",");
        const dims = new Array<i32>();
        let product: i64 = 1;
        for (let i = 0; i < parts.length; i++) {
          const d = I32.parseInt(parts[i].trim());
          dims.push(d);
          product *= d;
        }
        if (product == size && dims.length > 0) return dims;
      }
      at = meta.indexOf(keys[k], at + 1);
    }
  }
  return [size];
}

/** [C, H, W] for drawing: a [1|3, H, W] or [H, W] output shape, or a flat output that is a square. */
function imageShape(model: Model, size: i32): ImageShape {
  const dims = outputShape(model, size);
  if (dims.length == 3 && (dims[0] == 1 || dims[0] == 3)) return new ImageShape(dims[0], dims[1], dims[2]);
  if (dims.length == 2) return new ImageShape(1, dims[0], dims[1]);
  const gray = <i32>Math.round(Math.sqrt(<f64>size));
  if (dims.length == 1 && gray * gray == size) return new ImageShape(1, gray, gray);
  const rgb = <i32>Math.round(Math.sqrt(<f64>size / 3));
  if (dims.length == 1 && rgb * rgb * 3 == size) return new ImageShape(3, rgb, rgb);
  fail("the decoder output [" + dims.join(", ") + "] is not an image ([1|3, H, W]); use decode to get raw floats");
  return changetype<ImageShape>(0);
}

function withBatch(n: i32, dims: i32[]): i32[] {
  const out = [n];
  return out.concat(dims);
}

/** --format, defaulting to the output file's extension (checked before any work is done). */
function imageFormat(args: Args, path: string): string {
  const lower = path.toLowerCase();
  const guess = lower.endsWith(".pgm") ? "pgm" : lower.endsWith(".ppm") ? "ppm" : "png";
  return args.choice("format", guess, ["png", "pgm", "ppm"]);
}

function writeImage(format: string, path: string, pixels: Pixels): void {
  requireMemory(<u64>pixels.data.length * 3, "the image");
  let bytes: Uint8Array;
  if (format == "png") {
    bytes = encodePng(pixels.data, pixels.width, pixels.height, pixels.channels);
  } else if (format == "pgm") {
    if (pixels.channels != 1) fail("--format pgm needs a grayscale model; this one has " + pixels.channels.toString() + " channels (use ppm or png)", EXIT_USAGE);
    bytes = encodePnm(pixels.data, pixels.width, pixels.height, 1);
  } else {
    let rgb = pixels.data;
    if (pixels.channels == 1) {
      rgb = new Uint8Array(pixels.data.length * 3);
      for (let i = 0; i < pixels.data.length; i++) { const v = pixels.data[i]; rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v; }
    }
    bytes = encodePnm(rgb, pixels.width, pixels.height, 3);
  }
  writeFile(path, bytes);
}

/** `count` latent vectors from the runtime's deterministic normal sampler. */
function sampleLatents(count: i32, seed: u32, temperature: f32): Float32Array {
  const z = new Float32Array(count);
  sampleNormal(z.dataStart, <u32>count, seed, temperature);
  return z;
}

function cmdSample(argv: string[]): void {
  const args = parseArgs("sample", argv, 1, flags(["n", "seed", "temperature", "columns", "out", "npy", "format",
    "top-k", "max-length", "latent-temperature"]));
  const sequence = openSequenceModel(args, "sample");
  if (sequence !== null) { sampleSequenceModel(args, sequence!); return; }
  const n = <i32>args.int("n", 16, 1, 65536);
  const seed = <u32>args.int("seed", 0, 0, 0xffffffff);
  const temperature = <f32>args.number("temperature", 1, 0, 100);
  const cols = <i32>args.int("columns", gridColumns(n), 1, 65536);
  const out = args.text("out");
  const format = imageFormat(args, out);
  const model = openModel(args, n);
  const latent = model.entry(DECODE).inputSize;
  const z = sampleLatents(n * latent, seed, temperature);
  const images = model.runAll(DECODE, z, n)[0];
  const shape = imageShape(model, model.entry(DECODE).outputSizes[0]);
  if (args.has("npy")) writeFile(args.text("npy"), encodeNpy(withBatch(n, outputShape(model, model.entry(DECODE).outputSizes[0])), images));
  writeImage(format, out, tile(images, n, shape, cols));
}

function cmdInterpolate(argv: string[]): void {
  const args = parseArgs("interpolate", argv, 1, flags(["seed-a", "seed-b", "steps", "mode", "temperature", "out", "npy", "format",
    "seed", "top-k", "max-length", "from", "to"]));
  const sequence = openSequenceModel(args, "interpolate");
  if (sequence !== null) { interpolateSequenceModel(args, sequence!); return; }
  if (args.has("seed")) fail("interpolate: --seed is for sequence models (image models take --seed-a and --seed-b)", EXIT_USAGE);
  const seedA = <u32>args.requiredInt("seed-a", 0, 0xffffffff);
  const seedB = <u32>args.requiredInt("seed-b", 0, 0xffffffff);
  const slerp = args.choice("mode", "slerp", ["lerp", "slerp"]) == "slerp";
  const steps = <i32>args.int("steps", 8, 2, 4096);
  const temperature = <f32>args.number("temperature", 1, 0, 100);
  const out = args.text("out");
  const format = imageFormat(args, out);
  const model = openModel(args, steps);
  const latent = model.entry(DECODE).inputSize;
  const a = sampleLatents(latent, seedA, temperature);
  const b = sampleLatents(latent, seedB, temperature);
  const z = interpolateLatents(a, b, steps, slerp);
  const images = model.runAll(DECODE, z, steps)[0];
  const shape = imageShape(model, model.entry(DECODE).outputSizes[0]);
  if (args.has("npy")) writeFile(args.text("npy"), encodeNpy(withBatch(steps, outputShape(model, model.entry(DECODE).outputSizes[0])), images));
  writeImage(format, out, tile(images, steps, shape, steps));
}

function cmdDecode(argv: string[]): void {
  const args = parseArgs("decode", argv, 1, flags(["input", "output"]));
  const inputPath = args.text("input");
  const outputPath = args.text("output");
  const z = parseNpy(readFile(inputPath, heapAlloc), inputPath);
  const model = openModel(args, z.rows);
  const e = model.entry(DECODE);
  if (z.data.length == 0 || z.data.length % e.inputSize != 0) {
    fail("\"" + inputPath + "\": expected float32 [n, " + e.inputSize.toString() + "] latents, got " + z.data.length.toString() + " values");
  }
  const n = z.data.length / e.inputSize;
  const x = model.runAll(DECODE, z.data, n)[0];
  writeFile(outputPath, encodeNpy(withBatch(n, outputShape(model, e.outputSizes[0])), x));
}

function cmdEncode(argv: string[]): void {
  const args = parseArgs("encode", argv, 1, flags(["input", "out-dir"]));
  const inputPath = args.text("input");
  const outDir = args.text("out-dir");
  const x = parseNpy(readFile(inputPath, heapAlloc), inputPath);
  const model = openModel(args, x.rows);
  const e = model.entry(ENCODE);
  if (x.data.length == 0 || x.data.length % e.inputSize != 0) {
    fail("\"" + inputPath + "\": expected float32 images of " + e.inputSize.toString() + " values each, got " + x.data.length.toString() + " values");
  }
  const n = x.data.length / e.inputSize;
  const outputs = model.runAll(ENCODE, x.data, n);
  makeDirectory(outDir);
  const names = ["mu.npy", "logvar.npy"];
  for (let k = 0; k < outputs.length && k < 2; k++) {
    writeFile(outDir + "/" + names[k], encodeNpy([n, e.outputSizes[k]], outputs[k]));
  }
}

function cmdInfo(argv: string[]): void {
  const args = parseArgs("info", argv, 1, flags([]));
  const model = openModel(args, 1);
  print("file: " + model.path + " (" + model.file.length.toString() + " bytes, format version " + model.header(4).toString() + ")");
  print("tensors: " + model.header(32).toString() + ", ops: " + model.header(48).toString() +
    ", weights: " + model.header(56).toString() + " bytes, arena per sample: " + model.header(60).toString() + " bytes");
  for (let i = 0; i < model.entries.length; i++) {
    const e = model.entries[i];
    let outs = "";
    for (let k = 0; k < e.outputSizes.length; k++) outs += (k > 0 ? ", " : "") + e.outputSizes[k].toString();
    print(kindName(e.kind) + ": input " + e.inputSize.toString() + " floats -> output " + outs + " floats");
  }
  print("memory: " + memoryBytes().toString() + " bytes of linear memory after loading at --max-batch " + model.maxBatch.toString() +
    " (a smaller --max-memory or host limit is refused)");
  print("metadata: " + model.metadata());
}

function heapAlloc(bytes: usize): usize {
  requireMemory(<u64>bytes, "the input file");
  return heap.alloc(bytes);
}

function main(): void {
  const all = process.argv;
  // argv[0] is the program; a leading "--" (as some hosts pass it through) is ignored.
  const argv = new Array<string>();
  for (let i = 1; i < all.length; i++) if (!(argv.length == 0 && all[i] == "--")) argv.push(all[i]);
  if (argv.length == 0) fail("no command given\n\n" + USAGE, EXIT_USAGE);
  const command = argv[0];
  if (command == "--help" || command == "-h" || command == "help" || argv.includes("--help")) { print(USAGE); return; }
  if (command == "sample") cmdSample(argv);
  else if (command == "interpolate") cmdInterpolate(argv);
  else if (command == "decode") cmdDecode(argv);
  else if (command == "encode") cmdEncode(argv);
  else if (command == "info") cmdInfo(argv);
  else fail("unknown command \"" + command + "\" (try --help)", EXIT_USAGE);
}

main();
