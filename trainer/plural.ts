// Counts in messages and reports: "1 epoch", "3 epochs".
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
