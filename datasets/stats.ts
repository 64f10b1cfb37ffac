// The small stats.json every data stage writes (counts, character histogram, fonts used, label lengths),
// which evaluation and the report read; histograms merge so parallel workers can each count their part.

export interface DatasetStats {
  count: number;
  /** Character → occurrences, sorted by character code for stable files. */
  characters: Record<string, number>;
  /** Face id → lines drawn with it (generated data only). */
  fonts: Record<string, number>;
  /** Label length in characters → labels. */
  label_lengths: Record<string, number>;
}

export function emptyStats(): DatasetStats {
  return { count: 0, characters: {}, fonts: {}, label_lengths: {} };
}

export function countLabel(stats: DatasetStats, text: string, font?: string): void {
  stats.count++;
  let length = 0;
  for (const c of text) {
    stats.characters[c] = (stats.characters[c] ?? 0) + 1;
    length++;
  }
  stats.label_lengths[length] = (stats.label_lengths[length] ?? 0) + 1;
  if (font !== undefined) stats.fonts[font] = (stats.fonts[font] ?? 0) + 1;
}

function addInto(target: Record<string, number>, source: Record<string, number>): void {
  for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
}

export function mergeStats(parts: DatasetStats[]): DatasetStats {
  const total = emptyStats();
  for (const p of parts) {
    total.count += p.count;
    addInto(total.characters, p.characters);
    addInto(total.fonts, p.fonts);
    addInto(total.label_lengths, p.label_lengths);
  }
  return sortedStats(total);
}

function sortedRecord(record: Record<string, number>, numeric = false): Record<string, number> {
  const keys = Object.keys(record).sort((a, b) =>
    numeric
      ? Number(a) - Number(b)
      : (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  );
  return Object.fromEntries(keys.map((k) => [k, record[k] as number]));
}

export function sortedStats(stats: DatasetStats): DatasetStats {
  return {
    count: stats.count,
    characters: sortedRecord(stats.characters),
    fonts: sortedRecord(stats.fonts),
    label_lengths: sortedRecord(stats.label_lengths, true),
  };
}
