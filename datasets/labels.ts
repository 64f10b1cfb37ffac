// Label files: RFC 4180 CSV and TSV (quotes, commas, tabs and newlines inside fields survive a round trip)
// and the doctr JSON layout {"image name": "text"}; parsing reports the 1-based row of every bad record.

/** A parsed table: the header's column names and the rows, each with the file line it started on. */
export interface Table {
  columns: string[];
  rows: Array<{ line: number; values: string[] }>;
}

export class LabelFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = "LabelFileError";
  }
}

/**
 * Parses delimiter-separated text (`,` for CSV, `\t` for TSV) with RFC 4180 quoting: a quoted field may hold
 * delimiters, newlines and doubled quotes. A BOM and a final newline are ignored; CRLF is accepted.
 */
export function parseDelimited(text: string, delimiter: "," | "\t" = ",", file = "<labels>"): Table {
  const records: Array<{ line: number; values: string[] }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let field = "";
  let values: string[] = [];
  let recordLine = 1;
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    values.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = () => {
    endField();
    if (!(values.length === 1 && values[0] === "")) records.push({ line: recordLine, values });
    values = [];
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== "\n" && next !== "\r") {
          throw new LabelFileError(file, line, "unexpected character after a closing quote");
        }
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && !fieldStarted && field === "") {
      quoted = true;
      fieldStarted = true;
      i++;
      continue;
    }
    if (ch === delimiter) {
      endField();
      i++;
      continue;
    }
    if (ch === "\r" && text[i + 1] === "\n") {
      i++;
      continue;
    }
    if (ch === "\n") {
      endRecord();
      line++;
      recordLine = line;
      i++;
      continue;
    }
    field += ch;
    fieldStarted = true;
    i++;
  }
  if (quoted) throw new LabelFileError(file, recordLine, "quoted field is never closed");
  if (field !== "" || values.length > 0) endRecord();
  const [header, ...rows] = records;
  if (!header) throw new LabelFileError(file, 1, "no header row");
  return { columns: header.values, rows };
}

function quoteField(value: string, delimiter: string): string {
  return value.includes('"') || value.includes(delimiter) || value.includes("\n") || value.includes("\r")
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** Formats a header and rows as CSV (or TSV), quoting only where needed, LF line ends. */
export function formatDelimited(columns: string[], rows: string[][], delimiter: "," | "\t" = ","): string {
  return [columns, ...rows]
    .map((r) => `${r.map((v) => quoteField(v, delimiter)).join(delimiter)}\n`)
    .join("");
}

/** `file,text` labels CSV. */
export function formatLabelsCsv(labels: Array<{ name: string; text: string }>): string {
  return formatDelimited(
    ["file", "text"],
    labels.map((l) => [l.name, l.text]),
  );
}

/** Reads a `file,text` labels CSV back to name/text pairs, in file order. */
export function parseLabelsCsv(text: string, file = "labels.csv"): Array<{ name: string; text: string }> {
  const table = parseDelimited(text, ",", file);
  const nameAt = table.columns.indexOf("file");
  const textAt = table.columns.indexOf("text");
  if (nameAt < 0 || textAt < 0)
    throw new LabelFileError(file, 1, "header must have the columns file and text");
  return table.rows.map((r) => {
    if (r.values.length !== table.columns.length) {
      throw new LabelFileError(file, r.line, `${r.values.length} fields, expected ${table.columns.length}`);
    }
    return { name: r.values[nameAt] as string, text: r.values[textAt] as string };
  });
}

/** doctr layout: one object mapping image name to text, keys in the given order. */
export function formatLabelsJson(labels: Array<{ name: string; text: string }>, indent = 0): string {
  const object: Record<string, string> = {};
  for (const l of labels) {
    if (Object.hasOwn(object, l.name)) throw new Error(`duplicate image name ${JSON.stringify(l.name)}`);
    object[l.name] = l.text;
  }
  return `${JSON.stringify(object, null, indent > 0 ? indent : undefined)}\n`;
}

export function parseLabelsJson(text: string, file = "labels.json"): Array<{ name: string; text: string }> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new LabelFileError(file, 1, 'expected an object {"image name": "text"}');
  }
  return Object.entries(value).map(([name, t]) => {
    if (typeof t !== "string")
      throw new LabelFileError(file, 1, `label of ${JSON.stringify(name)} is not a string`);
    return { name, text: t };
  });
}
