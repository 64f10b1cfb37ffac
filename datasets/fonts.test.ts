// Glyph coverage: faces are read with fontkit, a face lacking a label's characters is refused, and faces
// lacking letters are left out of generation altogether.
import { describe, expect, it } from "vitest";
import { loadPipelineConfig } from "../stages/config.ts";
import { buildCharset } from "./charset.ts";
import {
  assertFaceCovers,
  discoverFaces,
  faceCoverage,
  MissingGlyphsError,
  selectFaces,
  usableFaces,
} from "./fonts.ts";

const config = loadPipelineConfig({ env: {} });
const charset = buildCharset(config.charset);
const faces = discoverFaces();
const face = (id: string) => {
  const f = faces.find((x) => x.id === id);
  if (!f) throw new Error(`face ${id} is not installed`);
  return f;
};

describe("font faces", () => {
  it("installs at least 40 usable faces across sans, serif, mono and condensed", () => {
    const usable = selectFaces(faces, config.generate.fonts);
    expect(usable.length).toBeGreaterThanOrEqual(40);
    expect(new Set(usable.map((f) => f.style))).toEqual(new Set(["sans", "serif", "mono", "condensed"]));
    expect(usable.some((f) => f.italic)).toBe(true);
    expect(usable.some((f) => f.weight >= 700)).toBe(true);
    expect(
      usable.every((f) => f.weight >= 300),
      "hairline weights are skipped",
    ).toBe(true);
  });

  it("reads coverage from the font files: Open Sans lacks ₽, PT Sans has it", () => {
    expect(faceCoverage(face("open-sans-400-normal"), charset).missing).toBe("₽");
    const pt = faceCoverage(face("pt-sans-400-normal"), charset);
    expect(pt.missing).toBe("");
    expect(pt.covered).toContain("ё");
    expect(pt.covered).toContain("№");
  });

  it("refuses to draw a label with a face lacking one of its characters", () => {
    const openSans = faceCoverage(face("open-sans-400-normal"), charset);
    expect(() => assertFaceCovers(openSans, "Итого 100 ₽")).toThrow(MissingGlyphsError);
    expect(() => assertFaceCovers(openSans, "Итого 100 ₽")).toThrow(/"₽"/);
    expect(() => assertFaceCovers(openSans, "Итого 100 руб.")).not.toThrow();
  });

  it("leaves out faces without Cyrillic letters, saying what they lack", () => {
    const selection = usableFaces(
      { ...config.generate.fonts, families: ["ibm-plex-sans-condensed", "pt-mono"] },
      charset,
    );
    expect(selection.faces.map((f) => f.id)).toEqual(["pt-mono-400-normal"]);
    expect(selection.rejected.length).toBeGreaterThan(0);
    expect(
      selection.rejected.every((r) => r.id.startsWith("ibm-plex-sans-condensed") && r.missing.includes("Ж")),
    ).toBe(true);
  });
});
