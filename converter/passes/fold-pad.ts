// Folds spatial crops and zero pads into convolutions, where the runtime's conv already does the same work:
//   Pad (constant 0, pads >= 0) -> Conv: the conv pads more (bottom/right follow from the output size);
//   ConvTranspose -> Slice of height or width (or of the length of a 1D one): the transposed conv crops more
//   (PyTorch exports a ConvTranspose with asymmetric output cropping this way).
// Only when the result stays inside the format's padding limits (docs/format.md "Operand rules").
import { PadMode } from '../../runtime/format-constants.js';
import { addValue, type ConvNode, type Graph, type Node, type PadNode, type SliceNode } from '../ir.js';
import { foldUntilDone } from './fold-loop.js';

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function foldPadsAndCrops(g: Graph): number {
  return foldUntilDone(g, ({ uses, soleUse }) => {
    const producer = new Map<number, Node>(g.nodes.map((n) => [n.out, n]));
    for (const n of g.nodes) {
      if (n.op === 'conv') {
        let p = producer.get(n.a);
        while (p?.op === 'reshape' && soleUse(p.a)) p = producer.get(p.a);
        if (p?.op !== 'pad' || !soleUse(p.out) || !sameShape(g.values[p.out]!.shape, g.values[n.a]!.shape)) continue;
        if (foldPad(g, n, p)) return true;
      } else if (n.op === 'convT' && soleUse(n.out)) {
        const s = uses.get(n.out)![0]!;
        if (s.op === 'slice' && s.a === n.out && (s.axis === 1 || s.axis === 2) && foldCrop(g, n, s)) return true;
        // 1D: [Co,1,L] -> reshape [Co,L] -> slice of L
        const [co, one] = g.values[n.out]!.shape as [number, number];
        const r = s.op === 'reshape' && one === 1 && soleUse(s.out) ? s : undefined;
        const t = r && uses.get(r.out)![0]!;
        if (r && t?.op === 'slice' && t.a === r.out && t.axis === 1 && sameShape(g.values[r.out]!.shape, [co, g.values[n.out]!.shape[2]!])) {
          const out = addValue(g, `${g.values[t.out]!.name}:2d`, [co, 1, t.count]);
          const before = n.out;
          n.out = out;
          if (foldCrop(g, n, { ...t, a: before, axis: 2, out })) {
            r.a = out;
            r.out = t.out;
            g.nodes = g.nodes.filter((x) => x !== t);
            return true;
          }
          n.out = before;
        }
      }
    }
    return false;
  });
}

const eff = (k: number, d: number) => d * (k - 1) + 1;

function foldPad(g: Graph, c: ConvNode, p: PadNode): boolean {
  if (p.mode !== PadMode.Constant || p.value !== 0 || p.pt < 0 || p.pl < 0) return false;
  const [, H, W] = g.values[p.a]!.shape as [number, number, number];
  const [, PH, PW] = g.values[p.out]!.shape as [number, number, number];
  if (PH - H - p.pt < 0 || PW - W - p.pl < 0) return false; // a crop at the end
  const [, OH, OW] = g.values[c.out]!.shape as [number, number, number];
  const padT = c.padT + p.pt, padL = c.padL + p.pl;
  const fits = (pad: number, n: number, o: number, k: number, s: number, d: number) => {
    const e = eff(k, d), end = (o - 1) * s + e - n - pad;
    return pad < e && end > -s && end <= e - 1;
  };
  if (!fits(padT, H, OH, c.kh, c.sH, c.dH) || !fits(padL, W, OW, c.kw, c.sW, c.dW)) return false;
  c.a = p.a;
  c.padT = padT;
  c.padL = padL;
  return true;
}

function foldCrop(g: Graph, c: ConvNode, s: SliceNode): boolean {
  const [, H, W] = g.values[c.a]!.shape as [number, number, number];
  const height = s.axis === 1;
  const pad = (height ? c.padT : c.padL) + s.start;
  const [n, k, st, d] = height ? [H, c.kh, c.sH, c.dH] : [W, c.kw, c.sW, c.dW];
  const e = eff(k, d), extra = (n - 1) * st + e - pad - s.count;
  if (pad >= e || extra < -(Math.max(st, d) - 1) || extra > e - 1) return false;
  if (height) c.padT = pad; else c.padL = pad;
  c.out = s.out;
  g.nodes = g.nodes.filter((x) => x !== s);
  return true;
}
