// Command-line parsing for the WASI command: `COMMAND --flag value ...`, each command with its own flags.
import { fail, EXIT_USAGE } from "./io";

export class Args {
  constructor(public command: string, public values: Map<string, string>) {}

  has(flag: string): bool { return this.values.has(flag); }

  text(flag: string, fallback: string | null = null): string {
    if (this.values.has(flag)) return this.values.get(flag);
    if (fallback === null) fail(this.command + ": missing required flag --" + flag, EXIT_USAGE);
    return fallback!;
  }

  /** Decimal integer flag within [lo, hi]. */
  int(flag: string, fallback: i64, lo: i64, hi: i64): i64 {
    if (!this.values.has(flag)) return fallback;
    const raw = this.values.get(flag);
    let ok = raw.length > 0 && raw.length <= 18;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (!(c >= 48 && c <= 57) && !(i == 0 && c == 45 && raw.length > 1)) ok = false;
    }
    const v = ok ? I64.parseInt(raw) : 0;
    if (!ok || v < lo || v > hi) {
      fail(this.command + ": --" + flag + " must be an integer in " + lo.toString() + ".." + hi.toString() + ", got \"" + raw + "\"", EXIT_USAGE);
    }
    return v;
  }

  requiredInt(flag: string, lo: i64, hi: i64): i64 {
    this.text(flag); // reports a missing flag
    return this.int(flag, 0, lo, hi);
  }

  /** Finite decimal number flag within [lo, hi]. */
  number(flag: string, fallback: f64, lo: f64, hi: f64): f64 {
    if (!this.values.has(flag)) return fallback;
    const raw = this.values.get(flag);
    let ok = raw.length > 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || c == 46 || c == 45 || c == 43 || c == 101 || c == 69)) ok = false;
    }
    const v = ok ? F64.parseFloat(raw) : NaN;
    if (!ok || !isFinite(v) || v < lo || v > hi) {
      fail(this.command + ": --" + flag + " must be a number in " + lo.toString() + ".." + hi.toString() + ", got \"" + raw + "\"", EXIT_USAGE);
    }
    return v;
  }

  choice(flag: string, fallback: string, allowed: string[]): string {
    const v = this.text(flag, fallback);
    if (!allowed.includes(v)) fail(this.command + ": --" + flag + " must be one of " + allowed.join("|") + ", got \"" + v + "\"", EXIT_USAGE);
    return v;
  }
}

/** `allowed` lists the flags (without dashes) the command accepts; all take a value. */
export function parseArgs(command: string, argv: string[], start: i32, allowed: string[]): Args {
  const values = new Map<string, string>();
  for (let i = start; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) fail(command + ": unexpected argument \"" + arg + "\" (try --help)", EXIT_USAGE);
    let name = arg.slice(2);
    let value: string | null = null;
    const eq = name.indexOf("=");
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    if (!allowed.includes(name)) fail(command + ": unknown flag --" + name + " (accepted: --" + allowed.join(", --") + ")", EXIT_USAGE);
    if (values.has(name)) fail(command + ": flag --" + name + " given twice", EXIT_USAGE);
    if (value === null) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) fail(command + ": flag --" + name + " needs a value", EXIT_USAGE);
      value = argv[++i];
    }
    values.set(name, value);
  }
  return new Args(command, values);
}
