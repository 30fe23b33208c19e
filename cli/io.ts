// File helpers of the CLI: .npy / .png / model files in and out, atomically written, with clear errors.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decodeNpy, encodeNpy, NpyError, type NpyArray } from '../runtime/npy.js';
import { encodePng } from '../runtime/png.js';
import { imageGrid, type GridOptions } from '../runtime/image-grid.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { readInputFile } from '../runtime/node.js';
import { UserError } from './errors.js';

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

/**
 * Writes `count` images of `shape` ([C,H,W] or [H,W]) as one PNG grid. Stored (uncompressed) deflate
 * blocks, like the WASI command, so both hosts write byte-identical files for the same model and seed.
 */
export function writeImageGrid(path: string, images: Float32Array, count: number, shape: number[], options: GridOptions = {}): { width: number; height: number } {
  const grid = imageGrid(images, count, shape, options);
  writeOutput(path, encodePng(grid));
  return { width: grid.width, height: grid.height };
}

/** True if a decoder output shape can be drawn as an image. */
export function isImageShape(shape: number[] | undefined): boolean {
  if (!shape) return false;
  return (shape.length === 3 && (shape[0] === 1 || shape[0] === 3)) || shape.length === 2;
}
