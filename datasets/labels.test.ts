// Label files round-trip exactly: CSV ↔ JSON with quotes, commas, tabs and newlines in labels; bad CSV is
// reported with its line.
import { describe, expect, it } from "vitest";
import {
  formatDelimited,
  formatLabelsCsv,
  formatLabelsJson,
  LabelFileError,
  parseDelimited,
  parseLabelsCsv,
  parseLabelsJson,
} from "./labels.ts";

const tricky = [
  { name: "a.png", text: 'ООО «Ромашка», "Рога и копыта"' },
  { name: "b,c.png", text: "line one\nline two" },
  { name: "d.png", text: "" },
  { name: "e.png", text: ' "quoted" ' },
  { name: "f.png", text: "tab\there, CRLF\r\nend" },
  { name: "g.png", text: "₽ № ё — \\ /" },
];

describe("labels CSV and JSON", () => {
  it("CSV → JSON → CSV gives back the same bytes and labels", () => {
    const csv = formatLabelsCsv(tricky);
    const fromCsv = parseLabelsCsv(csv);
    expect(fromCsv).toEqual(tricky);
    const json = formatLabelsJson(fromCsv);
    const fromJson = parseLabelsJson(json);
    expect(fromJson).toEqual(tricky);
    expect(formatLabelsCsv(fromJson)).toBe(csv);
  });

  it("writes the doctr layout {name: text} with optional indentation", () => {
    expect(formatLabelsJson([{ name: "x.png", text: 'Hi, "you"' }])).toBe('{"x.png":"Hi, \\"you\\""}\n');
    expect(JSON.parse(formatLabelsJson(tricky, 2))).toEqual(
      Object.fromEntries(tricky.map((t) => [t.name, t.text])),
    );
  });

  it("refuses duplicate image names in JSON rather than dropping one", () => {
    expect(() => formatLabelsJson([tricky[0] as never, tricky[0] as never])).toThrow(/duplicate/);
  });

  it("reads CSV written by other tools: BOM, CRLF line ends, quoted header", () => {
    const text = '\ufeff"file","text"\r\nx.png,"a, b"\r\ny.png,c\r\n';
    expect(parseLabelsCsv(text)).toEqual([
      { name: "x.png", text: "a, b" },
      { name: "y.png", text: "c" },
    ]);
  });

  it("round-trips TSV with tabs and newlines inside fields", () => {
    const rows = [["p.png", "a\tb\nc"]];
    const table = parseDelimited(formatDelimited(["image", "text"], rows, "\t"), "\t");
    expect(table.rows.map((r) => r.values)).toEqual(rows);
  });

  it("tells the line each record starts on, counting newlines inside quotes", () => {
    const table = parseDelimited('file,text\na.png,"x\ny"\nb.png,z\n');
    expect(table.rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it("reports an unclosed quote and a wrong field count with their line", () => {
    expect(() => parseDelimited('file,text\na.png,"never closed\n')).toThrow(LabelFileError);
    expect(() => parseDelimited('file,text\na.png,"never closed\n')).toThrow(/:2:/);
    expect(() => parseLabelsCsv("file,text\na.png,x\nb.png,y,z\n")).toThrow(/:3: 3 fields/);
  });
});
