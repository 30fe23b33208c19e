#!/usr/bin/env node
// `asc` for the npm build scripts, minus one line: binaryen's "Last converge was suboptimal." note (the
// last --converge round grew the module by a few bytes; the module is valid and the note tells a user
// nothing). Everything else the compiler prints, warnings and errors, passes through; the exit code is
// the compiler's. Known-harmless warnings are disabled by code in the asconfig files instead.
import asc from 'assemblyscript/asc';

const NOTE = 'Last converge was suboptimal.';
const stderr = {
  write(chunk) {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    if (text.trim() === NOTE) return true;
    return process.stderr.write(chunk);
  },
};
const { error } = await asc.main(process.argv.slice(2), { stdout: process.stdout, stderr });
if (error) process.exitCode = 1;
