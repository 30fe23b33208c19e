// File helpers of the CLI: .npy / .png / model files in and out, atomically written, with clear errors.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeNpy, encodeNpy, NpyError, type NpyArray } from '../runtime/npy.js';
import { encodePng } from '../runtime/png.js';
import { imageGrid, type GridOptions } from '../runtime/image-grid.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { readInputFile } from '../runtime/node.js';
import { UserError, usageError } from './errors.js';
import { intFlag, type Flags } from './args.js';
import { defaultScale, MAX_PICTURE_SIDE, MAX_SCALE, upscale } from './image-scale.js';

export function readNpyFile(path: string): NpyArray {
  const bytes = readInputFile(path, 'input file');
  try {
    return decodeNpy(bytes, path);
  } catch (e) {
    if (e instanceof NpyError) throw new UserError(e.message);
    throw e;
  }
}

/** Fails before any work is done when the output's directory is missing (or the path is a directory). */
export function checkOutputPath(path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`output directory ${dirname(path)} does not exist`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UserError(`output ${path} is a directory`);
}

export function ensureDirectory(path: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UserError(`--out-dir ${path} exists and is not a directory`);
  mkdirSync(path, { recursive: true });
}

export function writeOutput(path: string, bytes: Uint8Array | string): void {
  checkOutputPath(path);
  writeFileAtomic(path, bytes);
}

export function writeNpyFile(path: string, data: Float32Array, shape: number[]): void {
  writeOutput(path, encodeNpy(data, shape));
}

export type OutputKind = 'png' | 'npy';

/**
 * What an output file will hold, from its extension: `.png` a picture, `.npy` a tensor. Anything else is
 * a usage error (a picture named .jpg would not be a JPEG).
 */
export function outputKind(path: string, flag: string, command: string, allowed: readonly OutputKind[] = ['png', 'npy']): OutputKind {
  const ext = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'png' || ext === 'npy') {
    if (allowed.includes(ext)) return ext;
  }
  const want = allowed.map((k) => (k === 'png' ? '.png for a picture' : '.npy for a tensor')).join(' or ');
  throw usageError(`${command}: --${flag} ${path}: ${ext ? `'.${ext}' is not a format this command writes` : 'no file extension'} (use ${want})`);
}

export const SCALE_HELP = `  --scale N            enlarge pictures N times, nearest neighbour (default: at least 512 px wide; 1 = raw size)`;

/** --scale: a whole factor in 1..64, or undefined for the default (at least about 512 px wide). */
export function scaleFlag(flags: Flags, command: string): number | undefined {
  return flags.scale === undefined ? undefined : intFlag(flags, 'scale', command, undefined, 1, MAX_SCALE);
}

export interface PictureOptions extends GridOptions {
  /** nearest-neighbour factor; undefined = defaultScale(raw width) */
  scale?: number;
}

/**
 * Writes `count` images of `shape` ([C,H,W] or [H,W]) as one PNG grid, enlarged by `scale`. At scale 1
 * stored (uncompressed) deflate blocks, like the WASI command, so both hosts write byte-identical files;
 * enlarged pictures are compressed (their repeated pixels shrink about tenfold).
 */
export function writeImageGrid(path: string, images: Float32Array, count: number, shape: number[], options: PictureOptions = {}): { width: number; height: number; scale: number } {
  const grid = imageGrid(images, count, shape, options);
  const scale = options.scale ?? defaultScale(grid.width);
  if (Math.max(grid.width, grid.height) * scale > MAX_PICTURE_SIDE) {
    throw usageError(`--scale ${scale} would make a ${grid.width * scale}x${grid.height * scale} px picture (at most ${MAX_PICTURE_SIDE} px a side)`);
  }
  const picture = upscale(grid, scale);
  writeOutput(path, scale === 1 ? encodePng(picture) : encodePng(picture, (raw) => deflateSync(raw)));
  return { width: picture.width, height: picture.height, scale };
}

/** True if a decoder output shape can be drawn as an image. */
export function isImageShape(shape: number[] | undefined): boolean {
  if (!shape) return false;
  return (shape.length === 3 && (shape[0] === 1 || shape[0] === 3)) || shape.length === 2;
}
