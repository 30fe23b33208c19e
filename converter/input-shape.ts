// The per-sample shape of a graph input: its declared dims after the batch, with symbolic ones (a fully
// convolutional export's height/width) fixed by the user's --input-shape / --latent-shape.

export function fixSampleShape(input: string, declared: (number | string | null)[], given: number[] | undefined, flag: string): number[] {
  if (given) {
    if (given.length !== declared.length) {
      throw new Error(`${flag} ${given.join(',')} has ${given.length} dims but graph input "${input}" has ${declared.length} per sample ([${declared.map(show)}] after the batch)`);
    }
    given.forEach((d, i) => {
      if (!Number.isInteger(d) || d < 1) throw new Error(`${flag} ${given.join(',')}: dim ${i + 1} must be a positive integer`);
      const fixed = declared[i];
      if (typeof fixed === 'number' && fixed > 0 && fixed !== d) {
        throw new Error(`${flag} ${given.join(',')} conflicts with graph input "${input}", whose dim ${i + 1} is fixed at ${fixed}`);
      }
    });
    return [...given];
  }
  return declared.map((d, i) => {
    if (typeof d !== 'number' || d < 1) {
      const example = declared.map((x) => (typeof x === 'number' && x > 0 ? x : 'N')).join(',');
      throw new Error(`graph input "${input}": dim ${i + 1} is ${d === null ? 'unknown' : `"${d}"`} (symbolic); fix the per-sample shape with ${flag} (for example ${flag} ${example} with N the size to use)`);
    }
    return d;
  });
}

const show = (d: number | string | null) => (d === null ? '?' : String(d));
