// A strict, bounded JSON reader for the .evae metadata (RFC 8259 grammar, as JSON.parse accepts it): the WASI command
// needs the sequence vocabulary from it. Malformed or hostile input yields an error message, never a trap: nesting is
// capped (the parser recurses), every index is checked against the length, and nothing is read past the text.

export const JSON_NULL = 0;
export const JSON_BOOL = 1;
export const JSON_NUMBER = 2;
export const JSON_STRING = 3;
export const JSON_ARRAY = 4;
export const JSON_OBJECT = 5;

const MAX_DEPTH = 64;

export class JsonValue {
  kind: i32 = JSON_NULL;
  flag: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  /** An object member; the last of duplicate keys wins, as with JSON.parse. Null when absent or not an object. */
  get(key: string): JsonValue | null {
    if (this.kind != JSON_OBJECT) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

class Parser {
  pos: i32 = 0;
  error: string | null = null;
  constructor(public text: string) {}

  fail(what: string): JsonValue | null {
    if (this.error === null) this.error = what + " at character " + this.pos.toString();
    return null;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  peek(): i32 { return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1; }

  literal(word: string): bool {
    if (this.pos + word.length > this.text.length || this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.skipSpace();
    const c = this.peek();
    const v = new JsonValue();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      v.kind = JSON_STRING;
      v.str = s!;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) { v.kind = JSON_BOOL; v.flag = true; return v; }
    if (this.literal("false")) { v.kind = JSON_BOOL; return v; }
    if (this.literal("null")) return v;
    return this.fail(c < 0 ? "unexpected end of text" : "unexpected character");
  }

  digits(): i32 {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    return this.pos - start;
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) this.pos++;
    else if (this.digits() == 0) return this.fail("bad number");
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("bad number");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      this.pos++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("bad number");
    }
    const v = new JsonValue();
    v.kind = JSON_NUMBER;
    v.num = F64.parseFloat(this.text.slice(start, this.pos));
    return v;
  }

  hex4(): i32 {
    if (this.pos + 4 > this.text.length) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(this.pos + i);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.pos += 4;
    return v;
  }

  /** A string token (the opening quote at pos); escapes become UTF-16 code units as JSON.parse makes them. */
  string(): string | null {
    const t = this.text;
    this.pos++;
    const parts = new Array<string>();
    let run = this.pos;
    while (true) {
      if (this.pos >= t.length) { this.fail("unterminated string"); return null; }
      const c = t.charCodeAt(this.pos);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in a string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      parts.push(t.slice(run, this.pos));
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) parts.push("\"");
      else if (e == 0x5c) parts.push("\\");
      else if (e == 0x2f) parts.push("/");
      else if (e == 0x62) parts.push("\b");
      else if (e == 0x66) parts.push("\f");
      else if (e == 0x6e) parts.push("\n");
      else if (e == 0x72) parts.push("\r");
      else if (e == 0x74) parts.push("\t");
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) { this.fail("bad \\u escape"); return null; }
        parts.push(String.fromCharCode(u));
      } else { this.pos--; this.fail("bad escape"); return null; }
      run = this.pos;
    }
    parts.push(t.slice(run, this.pos));
    this.pos++;
    return parts.length == 1 ? parts[0] : parts.join("");
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JSON_ARRAY;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item!);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) { this.pos--; return this.fail("expected , or ] in an array"); }
    }
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JSON_OBJECT;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected a key string");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected : after a key");
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key!);
      v.items.push(item!);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) { this.pos--; return this.fail("expected , or } in an object"); }
    }
  }
}

/** The result of parseJson: a value, or null and the reason. */
export class JsonResult {
  constructor(public value: JsonValue | null, public error: string) {}
}

export function parseJson(text: string): JsonResult {
  const p = new Parser(text);
  const v = p.value(0);
  if (v !== null) {
    p.skipSpace();
    if (p.pos != text.length) p.fail("text after the value");
  }
  if (p.error !== null) return new JsonResult(null, p.error!);
  return new JsonResult(v, "");
}
