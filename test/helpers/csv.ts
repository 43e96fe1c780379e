/** Reading results.csv in tests, independently of the code that writes it. */

/** RFC 4180 CSV (quoted fields with commas and doubled quotes; no newlines inside fields) -> rows by header. */
export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l !== '');
  const fields = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted && ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) out.push(cur), (cur = '');
      else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const header = fields(lines[0]!);
  return lines.slice(1).map((l) => Object.fromEntries(fields(l).map((v, i) => [header[i]!, v])));
}

/** Timing columns end in `_s` and differ between otherwise identical runs (the README's results section). */
export const withoutTimings = (rows: Record<string, string>[]): Record<string, string>[] =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith('_s'))));
