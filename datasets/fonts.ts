// Font faces from the installed @fontsource packages: discovery by family/weight/italic, the style catalog,
// and glyph coverage read with fontkit, so no label is ever rendered with a face lacking one of its glyphs.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as fontkitModule from "fontkit";
import type { FontStyle, GenerateConfig } from "../stages/config.ts";
import type { Charset } from "./charset.ts";
import { hashString32 } from "./random.ts";

const fontkit = ((fontkitModule as unknown as { default?: typeof fontkitModule }).default ??
  fontkitModule) as typeof fontkitModule;

/**
 * The style of each family we know; a family missing here counts as "display" (left out by default) so that a
 * new decorative package never slips into training unnoticed.
 */
export const FAMILY_STYLES: Readonly<Record<string, FontStyle>> = {
  roboto: "sans",
  "pt-sans": "sans",
  "noto-sans": "sans",
  inter: "sans",
  "fira-sans": "sans",
  "ibm-plex-sans": "sans",
  "open-sans": "sans",
  arimo: "sans",
  "golos-text": "sans",
  montserrat: "sans",
  "pt-serif": "serif",
  "noto-serif": "serif",
  "ibm-plex-serif": "serif",
  tinos: "serif",
  lora: "serif",
  literata: "serif",
  "roboto-slab": "serif",
  "pt-mono": "mono",
  "roboto-mono": "mono",
  "jetbrains-mono": "mono",
  "fira-code": "mono",
  "ibm-plex-mono": "mono",
  cousine: "mono",
  "roboto-condensed": "condensed",
  "pt-sans-narrow": "condensed",
  "fira-sans-condensed": "condensed",
  "ibm-plex-sans-condensed": "condensed",
};

/** One face: a family at one weight and slant, made of one woff2 file per Unicode subset. */
export interface FontFace {
  /** `family-weight-normal|italic`, e.g. `pt-sans-700-italic`: stable across machines, used in stats. */
  id: string;
  family: string;
  weight: number;
  italic: boolean;
  style: FontStyle;
  /** woff2 files, sorted, one per subset (latin, latin-ext, cyrillic, cyrillic-ext…). */
  files: string[];
}

/** A face with the charset characters it has glyphs for. */
export interface CoveredFace extends FontFace {
  /** Charset characters the face covers, in charset order. */
  covered: string;
  /** Charset characters it lacks. */
  missing: string;
}

const FACE_FILE = /^(.+)-(\d{3})-(normal|italic)\.woff2$/;
const SUBSETS = ["latin", "latin-ext", "cyrillic", "cyrillic-ext"];

/** Folders named node_modules/@fontsource visible from here, nearest first. */
function fontsourceRoots(): string[] {
  const require = createRequire(import.meta.url);
  const roots = (require.resolve.paths("@fontsource/x") ?? []).map((p) => join(p, "@fontsource"));
  return roots.filter((r) => existsSync(r));
}

/** Every face of every installed @fontsource family, in a stable order. */
export function discoverFaces(): FontFace[] {
  const seen = new Set<string>();
  const faces = new Map<string, FontFace>();
  for (const root of fontsourceRoots()) {
    for (const family of readdirSync(root).sort()) {
      if (seen.has(family)) continue;
      seen.add(family);
      const filesDir = join(root, family, "files");
      if (!existsSync(filesDir)) continue;
      for (const file of readdirSync(filesDir).sort()) {
        const match = FACE_FILE.exec(file);
        if (!match) continue;
        const [, head, weight, slant] = match as unknown as [string, string, string, string];
        if (!head.startsWith(`${family}-`)) continue;
        const subset = head.slice(family.length + 1);
        if (!SUBSETS.includes(subset)) continue;
        const id = `${family}-${weight}-${slant}`;
        let face = faces.get(id);
        if (!face) {
          face = {
            id,
            family,
            weight: Number(weight),
            italic: slant === "italic",
            style: FAMILY_STYLES[family] ?? "display",
            files: [],
          };
          faces.set(id, face);
        }
        face.files.push(join(filesDir, file));
      }
    }
  }
  return [...faces.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The faces the `generate.fonts` settings allow, before any coverage check. */
export function selectFaces(faces: FontFace[], settings: GenerateConfig["fonts"]): FontFace[] {
  return faces.filter(
    (f) =>
      (settings.families.length === 0 || settings.families.includes(f.family)) &&
      !settings.exclude.includes(f.family) &&
      settings.styles.includes(f.style) &&
      f.weight >= settings.weights.min &&
      f.weight <= settings.weights.max &&
      (settings.italic || !f.italic),
  );
}

/** Charset characters the face has glyphs for, in any of its subset files. */
export function faceCoverage(face: FontFace, charset: Charset, cache?: CoverageCache): CoveredFace {
  const perFile = face.files.map(
    (file) => cache?.lookup(file, charset) ?? fileCoverage(file, charset, cache),
  );
  let covered = "";
  let missing = "";
  for (const c of charset.chars) {
    if (perFile.some((set) => set.has(c))) covered += c;
    else missing += c;
  }
  return { ...face, covered, missing };
}

/** The charset characters one font file has glyphs for, read with fontkit (2-7 ms a file). */
function fileCoverage(file: string, charset: Charset, cache?: CoverageCache): Set<string> {
  const font = fontkit.openSync(file) as fontkitModule.Font;
  const set = new Set(charset.chars.filter((c) => font.hasGlyphForCodePoint(c.codePointAt(0) as number)));
  cache?.store(file, charset, set);
  return set;
}

/**
 * Coverage per font file and charset, kept in node_modules/.cache/ocrflow (keyed by path, size and mtime), so
 * each run does not reopen some 900 woff2 files. Stale or unreadable entries are simply recomputed.
 */
export class CoverageCache {
  private entries: Record<string, string> = {};
  private dirty = false;

  constructor(private readonly file: string) {
    try {
      this.entries = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch {
      this.entries = {};
    }
  }

  private key(fontFile: string, charset: Charset): string {
    const { size, mtimeMs } = statSync(fontFile);
    return `${fontFile}|${size}|${Math.round(mtimeMs)}|${hashString32(charset.chars.join(""))}`;
  }

  lookup(fontFile: string, charset: Charset): Set<string> | undefined {
    const hit = this.entries[this.key(fontFile, charset)];
    return hit === undefined ? undefined : new Set(hit);
  }

  store(fontFile: string, charset: Charset, covered: Set<string>): void {
    this.entries[this.key(fontFile, charset)] = [...covered].join("");
    this.dirty = true;
  }

  /** Writes the cache through a temporary file; failures (read-only node_modules) are ignored. */
  save(): void {
    if (!this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.entries));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // A cache only: generation works the same without it.
    }
  }
}

/** The default cache file, beside the @fontsource packages' node_modules. */
export function defaultCoverageCache(): CoverageCache | undefined {
  const root = fontsourceRoots()[0];
  return root ? new CoverageCache(join(root, "..", ".cache", "ocrflow", "font-coverage.json")) : undefined;
}

/**
 * Characters every usable face must have: letters, digits and space. A face may lack some symbols (₽ is missing
 * from many), and lines needing them are then drawn with other faces.
 */
export function essentialCharacters(charset: Charset): string[] {
  return charset.chars.filter((c) => /[\p{L}\p{N} ]/u.test(c));
}

export interface FaceSelection {
  faces: CoveredFace[];
  /** Faces the settings allowed but that lack essential characters, with what they lack. */
  rejected: Array<{ id: string; missing: string }>;
}

/** Faces the settings allow that cover every essential character of the charset. */
export function usableFaces(settings: GenerateConfig["fonts"], charset: Charset): FaceSelection {
  const essential = essentialCharacters(charset);
  const faces: CoveredFace[] = [];
  const rejected: FaceSelection["rejected"] = [];
  const cache = defaultCoverageCache();
  for (const face of selectFaces(discoverFaces(), settings)) {
    const covered = faceCoverage(face, charset, cache);
    const lacking = essential.filter((c) => !covered.covered.includes(c)).join("");
    if (lacking) rejected.push({ id: face.id, missing: lacking });
    else faces.push(covered);
  }
  cache?.save();
  return { faces, rejected };
}

const coveredSets = new WeakMap<object, Set<string>>();

/** The face's covered characters as a set, built once per face object. */
function coveredSet(face: Pick<CoveredFace, "covered">): Set<string> {
  let set = coveredSets.get(face);
  if (!set) {
    set = new Set(face.covered);
    coveredSets.set(face, set);
  }
  return set;
}

/** A predicate "the face has every glyph of this label". */
export function coverageCheck(face: Pick<CoveredFace, "covered">): (label: string) => boolean {
  const set = coveredSet(face);
  return (label) => {
    for (const c of label) if (!set.has(c)) return false;
    return true;
  };
}

/** Raised when a label would be drawn with a face that lacks some of its glyphs. */
export class MissingGlyphsError extends Error {
  constructor(
    readonly faceId: string,
    readonly label: string,
    readonly characters: string[],
  ) {
    super(
      `font ${faceId} has no glyph for ${characters.map((c) => JSON.stringify(c)).join(", ")} in label ${JSON.stringify(label)}`,
    );
    this.name = "MissingGlyphsError";
  }
}

/** Throws MissingGlyphsError unless the face covers every character of the label. */
export function assertFaceCovers(face: Pick<CoveredFace, "id" | "covered">, label: string): void {
  const set = coveredSet(face);
  const lacking = [...new Set([...label].filter((c) => !set.has(c)))];
  if (lacking.length > 0) throw new MissingGlyphsError(face.id, label, lacking);
}
