// The vocabulary of a sequence model, read from the metadata key `sequence` (docs/format.md "Sequence models"), and
// the text <-> token id mapping of runtime/sequence.ts (SequenceVae.tokenize / detokenize), rule for rule, so the
// WASI command prints the same lines as `edgevae sample`. Metadata that cannot be read is an error here (the Node
// runtime falls back to "<id>" names); a file without a `sequence.tokens` list gets those names, as in Node.
import { fail } from "./io";
import { parseJson, JsonValue, JSON_ARRAY, JSON_NUMBER, JSON_OBJECT, JSON_STRING } from "./json";

/** Result of tokenize: ids, or the reason the text cannot be encoded. */
export class Tokens {
  constructor(public ids: i32[], public error: string) {}
}

export class Vocabulary {
  constructor(public kind: string, public tokens: string[], public separator: string) {}

  /** Tokens of one row joined into text; <pad> is dropped, other special tokens are kept. */
  detokenize(row: i32[]): string {
    const parts = new Array<string>();
    for (let i = 0; i < row.length; i++) {
      const id = row[i];
      const t = id >= 0 && id < this.tokens.length ? this.tokens[id] : "<" + id.toString() + ">";
      if (t != "<pad>") parts.push(t);
    }
    return parts.join(this.separator);
  }

  /** Last id of `symbol` (a JS Map built from the list keeps the last duplicate), or -1. */
  private idOf(symbol: string): i32 {
    for (let i = this.tokens.length - 1; i >= 0; i--) if (this.tokens[i] == symbol) return i;
    return -1;
  }

  /** Ids of a text: code points (separator "") or separator-split symbols; unknown or special symbols become <unk>. */
  tokenize(text: string): Tokens {
    const parts = new Array<string>();
    if (this.separator == "") {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
        const pair = c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
        parts.push(text.substr(i, pair ? 2 : 1));
        if (pair) i++;
      }
    } else {
      const split = text.split(this.separator);
      for (let i = 0; i < split.length; i++) if (split[i] != "") parts.push(split[i]);
    }
    const unk = this.idOf("<unk>");
    const ids = new Array<i32>();
    for (let i = 0; i < parts.length; i++) {
      const id = this.idOf(parts[i]);
      if (id >= 0 && !isSpecialToken(parts[i])) { ids.push(id); continue; }
      if (unk < 0) return new Tokens([], "\"" + parts[i] + "\" is not in the vocabulary (and the model has no <unk> token)");
      ids.push(unk);
    }
    return new Tokens(ids, "");
  }

  /** The id the encoder pads with: the first <pad>, else 0. */
  padId(): i32 { return max(0, this.tokens.indexOf("<pad>")); }
}

/** /^<.*>$/: starts with < and ends with >, no line terminator between. */
export function isSpecialToken(s: string): bool {
  if (s.length < 2 || s.charCodeAt(0) != 0x3c || s.charCodeAt(s.length - 1) != 0x3e) return false;
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x0a || c == 0x0d || c == 0x2028 || c == 0x2029) return false;
  }
  return true;
}

/** Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), as TextDecoder({fatal: true}) accepts. */
export function validUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    const b = <u32>load<u8>(ptr + i);
    if (b < 0x80) { i++; continue; }
    let need: usize = 0, lo: u32 = 0x80, hi: u32 = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b == 0xe0) lo = 0xa0; if (b == 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b == 0xf0) lo = 0x90; if (b == 0xf4) hi = 0x8f; }
    else return false;
    if (len - i <= need) return false; // the sequence is cut off
    for (let k: usize = 1; k <= need; k++) {
      const c = <u32>load<u8>(ptr + i + k);
      const l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xbf;
      if (c < l || c > h) return false;
    }
    i += need + 1;
  }
  return true;
}

function metaError(message: string): void { fail("model metadata: " + message); }

/**
 * The vocabulary of a sequence model with `vocabSize` logits and the given start/stop tokens; refuses metadata
 * that is not UTF-8 JSON, a token list that is not V strings, and bos/eos that disagree with the entries.
 */
export function readVocabulary(ptr: usize, len: usize, vocabSize: i32, bos: i32, eos: i32): Vocabulary {
  let seq: JsonValue | null = null;
  if (len > 0) {
    if (!validUtf8(ptr, len)) metaError("not valid UTF-8");
    const parsed = parseJson(String.UTF8.decodeUnsafe(ptr, len));
    if (parsed.value === null) metaError("not valid JSON (" + parsed.error + ")");
    const root = parsed.value!;
    if (root.kind != JSON_OBJECT) metaError("the JSON is not an object");
    seq = root.get("sequence");
    if (seq !== null && seq!.kind != JSON_OBJECT) seq = null; // Node ignores a non-object value
  }
  let kind = "text", separator = " ";
  const tokens = new Array<string>();
  let listed = false;
  if (seq !== null) {
    const s = seq!;
    const k = s.get("kind");
    if (k !== null && k!.kind == JSON_STRING) kind = k!.str;
    const sep = s.get("separator");
    if (sep !== null && sep!.kind == JSON_STRING) separator = sep!.str;
    const list = s.get("tokens");
    if (list !== null) {
      if (list!.kind != JSON_ARRAY) metaError("sequence.tokens is not an array");
      for (let i = 0; i < list!.items.length; i++) {
        const t = list!.items[i];
        if (t.kind != JSON_STRING) metaError("sequence.tokens[" + i.toString() + "] is not a string");
        tokens.push(t.str);
      }
      if (tokens.length != vocabSize) {
        metaError("the vocabulary lists " + tokens.length.toString() + " tokens, the decoder has " + vocabSize.toString() + " logits");
      }
      listed = true;
    }
    const names = ["bos", "eos"];
    const values = [bos, eos];
    for (let i = 0; i < 2; i++) {
      const v = s.get(names[i]);
      if (v === null) continue;
      if (v!.kind != JSON_NUMBER || v!.num != <f64>values[i]) {
        metaError(names[i] + " differs from the seq-step entry's " + values[i].toString());
      }
    }
  }
  if (!listed) for (let i = 0; i < vocabSize; i++) tokens.push("<" + i.toString() + ">");
  return new Vocabulary(kind, tokens, separator);
}
