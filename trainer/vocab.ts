// Token vocabulary of a sequence model: four special tokens with fixed ids, then the symbols
// (characters of text, or melody events) in a fixed order. The symbol list is all a model file needs
// to turn token ids back into text.
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

/** Tokens a decoder must never emit: padding, the start token and the unknown-symbol stand-in. */
export const NEVER_EMITTED: readonly number[] = [PAD, BOS, UNK];

/**
 * Greedy choice over one row of logits at `offset`, skipping NEVER_EMITTED (a trained decoder can
 * still rank <unk> first: token dropout feeds it <unk> inputs). The lowest id wins ties.
 */
export function emittableArgmax(logits: ArrayLike<number>, offset: number, V: number): number {
  let best = -1;
  for (let v = 0; v < V; v++) {
    if (v === PAD || v === BOS || v === UNK) continue;
    if (best < 0 || logits[offset + v] > logits[offset + best]) best = v;
  }
  return best;
}

export class Vocabulary {
  /** symbols in id order, specials first */
  readonly tokens: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(symbols: readonly string[]) {
    const tokens = [...SPECIAL_TOKENS, ...symbols];
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new Error(`vocabulary: symbol '${t}' appears twice`);
      this.ids.set(t, i);
    });
    this.tokens = tokens;
  }

  /** Every distinct symbol of `sequences`, sorted by code point (the same data gives the same ids). */
  static fromSequences(sequences: Iterable<readonly string[]>): Vocabulary {
    const seen = new Set<string>();
    for (const seq of sequences) for (const s of seq) seen.add(s);
    return new Vocabulary([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The symbols without the special tokens (what a checkpoint or model file stores). */
  get symbols(): string[] {
    return this.tokens.slice(SPECIAL_TOKENS.length);
  }

  id(symbol: string): number {
    return this.ids.get(symbol) ?? UNK;
  }

  /** Symbols -> ids followed by EOS; unknown symbols become UNK. */
  encode(symbols: readonly string[]): number[] {
    return [...symbols.map((s) => this.id(s)), EOS];
  }

  /** Ids -> symbols, stopping at the first EOS or PAD; BOS is skipped, UNK shows as '?'. */
  decode(ids: ArrayLike<number>): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i];
      if (t === EOS || t === PAD) break;
      if (t === BOS) continue;
      if (!Number.isInteger(t) || t < 0 || t >= this.tokens.length) throw new Error(`vocabulary: token id ${t} is outside 0..${this.tokens.length - 1}`);
      out.push(t === UNK ? '?' : this.tokens[t]);
    }
    return out;
  }
}
