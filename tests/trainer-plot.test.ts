// Training plots (trainer/plot.ts): the PNG has axes, tick values, axis titles and a legend drawn in a
// pixel font, and a one-epoch run still reads (level lines across the plot, not two lone dots).
import { describe, expect, it } from 'vitest';
import { niceTicks, plotRaster, plotSvg, px, type Series } from '../trainer/plot.js';
import { drawText, textWidth } from '../trainer/pixel-font.js';
import { plural } from '../trainer/plural.js';
import { resumeSentence } from '../trainer/report.js';

const series = (n: number): Series[] => [
  { name: 'train -ELBO', color: '#1f77b4', values: Array.from({ length: n }, (_, i) => 300 / (1 + i) + 240) },
  { name: 'test -ELBO', color: '#d62728', values: Array.from({ length: n }, (_, i) => 310 / (1 + i) + 242) },
];

/** Positions where `text` would put ink if drawn with its top-left at (x, y). */
function glyphPixels(text: string, x: number, y: number): [number, number][] {
  const out: [number, number][] = [];
  drawText(text, x, y, (a, b) => out.push([a, b]));
  return out;
}

/** Finds where `text` is written in the image (dark ink on every glyph pixel), searching a region. */
function findText(img: ReturnType<typeof plotRaster>, text: string, region: { x0: number; x1: number; y0: number; y1: number }): boolean {
  const dark = (x: number, y: number) => {
    const i = (y * img.width + x) * 3;
    return img.data[i]! < 100 && img.data[i + 1]! < 100 && img.data[i + 2]! < 100;
  };
  const shape = glyphPixels(text, 0, 0);
  for (let y = region.y0; y <= region.y1; y++) for (let x = region.x0; x <= region.x1; x++) {
    if (shape.every(([a, b]) => dark(x + a, y + b))) return true;
  }
  return false;
}

describe('loss plot PNG', () => {
  it('has tick values, axis titles and a legend with the last values', () => {
    const s = series(10);
    const img = plotRaster(s);
    const ticks = niceTicks(240, 550);
    // y tick labels left of the axis, x tick labels under it, titles, legend text at the top.
    expect(findText(img, String(ticks[1]), { x0: 0, x1: 60, y0: 0, y1: img.height - 1 })).toBe(true);
    expect(findText(img, '10', { x0: img.width - 40, x1: img.width - 1, y0: img.height - 40, y1: img.height - 1 })).toBe(true);
    expect(findText(img, 'epoch', { x0: 0, x1: img.width - 1, y0: img.height - 20, y1: img.height - 1 })).toBe(true);
    expect(findText(img, `train -ELBO ${s[0]!.values[9]!.toFixed(2)}`, { x0: 0, x1: img.width - 1, y0: 0, y1: 40 })).toBe(true);
    expect(findText(img, `test -ELBO ${s[1]!.values[9]!.toFixed(2)}`, { x0: 0, x1: img.width - 1, y0: 0, y1: 40 })).toBe(true);
    expect(textWidth('epoch')).toBe(29);
  });

  it('one epoch: each series is a level line across the plot, the epoch tick in the middle', () => {
    const img = plotRaster(series(1));
    const blue = [0x1f, 0x77, 0xb4];
    const rowsWithBlue = new Set<number>();
    let minX = img.width, maxX = 0;
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 3;
      if (img.data[i] === blue[0] && img.data[i + 1] === blue[1] && img.data[i + 2] === blue[2] && y > 45) {
        rowsWithBlue.add(y);
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
      }
    }
    expect(maxX - minX).toBeGreaterThan(img.width * 0.8);
    expect(findText(img, '1', { x0: img.width / 2 - 20, x1: img.width / 2 + 20, y0: img.height - 40, y1: img.height - 1 })).toBe(true);
    const svg = plotSvg(series(1), 'epoch', 'nats per image');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('>epoch<');
  });

  it('nice ticks cover the range at 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(243, 551)).toEqual([250, 300, 350, 400, 450, 500, 550]);
    expect(niceTicks(537, 555)).toEqual([540, 545, 550, 555]);
  });

  it('px puts a single epoch in the middle', () => {
    const img = plotRaster(series(1));
    expect(img.width).toBe(560);
    expect(px({ left: 0, right: 100, xMin: 0.5, xMax: 1.5 } as Parameters<typeof px>[0], 1)).toBe(50);
  });
});

describe('report wording', () => {
  it('"1 epoch", "2 epochs"; resumes are told', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(2, 'epoch')).toBe('2 epochs');
    expect(resumeSentence([])).toBe('');
    expect(resumeSentence([{ epoch: 2, batchInEpoch: 5, step: 77 }])).toBe('This run was stopped and resumed from its checkpoint once: in epoch 3 after batch 5 (step 77).');
  });
});
