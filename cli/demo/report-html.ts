// out/demo/index.html: the demo's pictures, its numbers and how long each step took. Static, no scripts;
// the PNGs are the runtime's exact output (one pixel per model pixel), enlarged by CSS only.
import type { TextSection } from './sequence-section.js';
import type { StepRecord } from './steps.js';
import { formatMs } from './steps.js';

export interface Figure { title: string; images: { file: string; caption: string }[] }
export interface NumberRow { label: string; value: string; link?: string }

export interface DemoPage {
  modelDir: string;
  steps: StepRecord[];
  numbers: NumberRow[];
  figures: Figure[];
  /** decoded sequences of the text model, shown as one word per line */
  texts?: TextSection[];
  textModel?: string;
  ok: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function demoHtml(p: DemoPage): string {
  const total = p.steps.reduce((s, x) => s + x.ms, 0);
  const figures = p.figures.map((f) => `<section><h2>${esc(f.title)}</h2><div class="row">${f.images.map((i) =>
    `<figure><img src="${esc(i.file)}" alt="${esc(i.caption)}"><figcaption>${esc(i.caption)}</figcaption></figure>`).join('')}</div></section>`).join('\n');
  const texts = p.texts?.length ? `<section id="text"><h2>Text model${p.textModel ? `: <code>${esc(p.textModel)}</code>` : ''}</h2>
<p>Decoded by the WebAssembly runtime's sequence loop (<code>SequenceVae</code>).</p>
<div class="row">${p.texts.map(textColumn).join('')}</div>
</section>` : '';
  const numbers = p.numbers.map((n) => `<tr><td>${esc(n.label)}</td><td>${esc(n.value)}${n.link ? ` (<a href="${esc(n.link)}">details</a>)` : ''}</td></tr>`).join('\n');
  const steps = p.steps.map((s) => `<tr class="${s.status}"><td>${esc(s.title)}</td><td>${s.status}</td><td class="num">${formatMs(s.ms)}</td><td class="num">${s.cpuMs === undefined ? '' : formatMs(s.cpuMs)}</td><td>${esc(s.detail)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgevae demo</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; max-width: 1200px; }
img { image-rendering: pixelated; zoom: 3; border: 1px solid #ccc; }
.row { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 0; } figcaption { text-align: center; color: #555; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
.num { text-align: right; white-space: nowrap; } .failed td { background: #fdd; } .skipped td { color: #777; }
h2 { font-size: 1.05em; } h3 { font-size: 0.95em; font-weight: normal; max-width: 22em; } .text ol { margin: 0; }
</style></head><body>
<h1>edgevae demo ${p.ok ? '' : '<span style="color:#b00">(a check failed)</span>'}</h1>
<p>Model: <code>${esc(p.modelDir)}</code>. Every picture below was computed by the WebAssembly runtime
(<code>build/edgevae.wasm</code>) from the converted <code>.evae</code> files in this folder.</p>
${figures}
${texts}
<h2>Numbers</h2>
<table><tr><th>what</th><th>value</th></tr>
${numbers}
</table>
<h2>Steps (${formatMs(total)} in all)</h2>
<p>CPU time counts this process only, so it stays meaningful when other programs share the cores; wall time does not.</p>
<table><tr><th>step</th><th>status</th><th>wall time</th><th>CPU time</th><th>result</th></tr>
${steps}
</table>
</body></html>
`;
}

/** One column of the text section: a title and its decoded lines. */
function textColumn(t: { title: string; lines: string[] }): string {
  const items = t.lines.map((l) => `<li><code>${esc(l)}</code></li>`).join('');
  return `<div class="text"><h3>${esc(t.title)}</h3><ol>${items}</ol></div>`;
}
