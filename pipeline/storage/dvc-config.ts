// `.dvc/config` and `.dvc/config.local` in configobj syntax (`[core] remote = x`, `['remote "name"']` sections):
// read and merged as DVC does (local over repo), edited in place keeping comments, relative URLs resolved.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../atomic.ts";
import { type Problem, ProblemsError } from "../errors.ts";

export type ConfigLevel = "repo" | "local";

interface Line {
  raw: string;
  section?: string;
  key?: string;
  value?: string;
}

/** One configobj file, kept line by line so an edit changes only the lines it touches. */
export class ConfigObjFile {
  readonly path: string;
  private lines: Line[];

  private constructor(path: string, lines: Line[]) {
    this.path = path;
    this.lines = lines;
  }

  static parse(text: string, path: string): ConfigObjFile {
    const problems: Problem[] = [];
    const lines: Line[] = [];
    let section: string | undefined;
    text.split(/\r?\n/).forEach((raw, i) => {
      if (i > 0 || raw !== "") lines.push(parseLine(raw, i + 1));
      function parseLine(raw: string, lineNo: number): Line {
        const t = raw.trim();
        if (t === "" || t.startsWith("#")) return { raw };
        const sec = /^\[\s*(?:'([^']*)'|"([^"]*)"|([^\]'"]*?))\s*\]\s*(#.*)?$/.exec(t);
        if (sec) {
          section = sec[1] ?? sec[2] ?? sec[3] ?? "";
          return { raw, section };
        }
        if (t.startsWith("[")) {
          problems.push({
            kind: "syntax",
            message: `unsupported section line '${t}'`,
            location: { file: path, line: lineNo },
          });
          return { raw };
        }
        const kv = /^(?:'([^']*)'|"([^"]*)"|([^=]*?))\s*=\s*(.*)$/.exec(t);
        if (!kv || section === undefined) {
          problems.push({
            kind: "syntax",
            message: section === undefined ? "key outside any section" : `cannot parse '${t}'`,
            location: { file: path, line: lineNo },
            expected: "key = value under a [section]",
          });
          return { raw };
        }
        const key = kv[1] ?? kv[2] ?? kv[3] ?? "";
        return { raw, section, key, value: parseValue(kv[4] ?? "") };
      }
    });
    if (problems.length > 0) throw new ProblemsError(problems);
    return new ConfigObjFile(path, lines);
  }

  /** A missing file reads as empty; it is created on the first `save`. */
  static load(path: string): ConfigObjFile {
    if (!existsSync(path)) return new ConfigObjFile(path, []);
    return ConfigObjFile.parse(readFileSync(path, "utf8"), path);
  }

  sections(): string[] {
    const names: string[] = [];
    for (const l of this.lines) if (l.section !== undefined && l.key === undefined) names.push(l.section);
    return [...new Set(names)];
  }

  entries(section: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of this.lines)
      if (l.section === section && l.key !== undefined) out.set(l.key, l.value ?? "");
    return out;
  }

  get(section: string, key: string): string | undefined {
    return this.entries(section).get(key);
  }

  set(section: string, key: string, value: string): void {
    const text = `    ${formatKey(key)} = ${formatValue(value)}`;
    const at = this.lines.findIndex((l) => l.section === section && l.key === key);
    if (at >= 0) {
      this.lines[at] = { raw: text, section, key, value };
      return;
    }
    let last = -1;
    this.lines.forEach((l, i) => {
      if (l.section === section) last = i;
    });
    if (last < 0) {
      this.lines.push({ raw: `[${formatSectionName(section)}]`, section });
      last = this.lines.length - 1;
    }
    this.lines.splice(last + 1, 0, { raw: text, section, key, value });
  }

  /** Removes a key; returns whether it was there. */
  unset(section: string, key: string): boolean {
    const before = this.lines.length;
    this.lines = this.lines.filter((l) => !(l.section === section && l.key === key));
    return this.lines.length !== before;
  }

  removeSection(section: string): boolean {
    const before = this.lines.length;
    this.lines = this.lines.filter((l) => l.section !== section);
    return this.lines.length !== before;
  }

  toString(): string {
    return this.lines.length === 0 ? "" : `${this.lines.map((l) => l.raw).join("\n")}\n`;
  }

  save(): void {
    writeFileAtomic(this.path, this.toString());
  }
}

function parseValue(rest: string): string {
  const r = rest.trim();
  const q = r[0];
  if (q === "'" || q === '"') {
    const end = r.indexOf(q, 1);
    if (end > 0) return r.slice(1, end);
  }
  // An unquoted value ends at an inline comment.
  const hash = r.search(/\s#/);
  return (hash >= 0 ? r.slice(0, hash) : r).trim();
}

function formatValue(value: string): string {
  if (value !== "" && !/[#,'"]|^\s|\s$/.test(value)) return value;
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

function formatKey(key: string): string {
  return /^[\w.-]+$/.test(key) ? key : `"${key}"`;
}

/** configobj quotes a section name that holds quotes: `['remote "name"']`. */
function formatSectionName(name: string): string {
  return name.includes('"') ? `'${name}'` : name;
}

export function remoteSection(name: string): string {
  return `remote "${name}"`;
}

// ---------------------------------------------------------------------------------------------------------
// The merged view

export interface RemoteConfig {
  name: string;
  /** As configured, with a relative local path resolved against `.dvc/`. */
  url: string;
  /** Every other option of the section (endpointurl, region, access_key_id, …). */
  options: Record<string, string>;
}

export interface DvcConfig {
  root: string;
  /** `core.remote`: the default remote's name. */
  defaultRemote?: string;
  remotes: Map<string, RemoteConfig>;
}

export function dvcDir(root: string): string {
  return join(root, ".dvc");
}

export function configPath(root: string, level: ConfigLevel): string {
  return join(dvcDir(root), level === "local" ? "config.local" : "config");
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL with no scheme is a local path. */
export function isLocalUrl(url: string): boolean {
  return !SCHEME.test(url);
}

/** Reads `.dvc/config` then `.dvc/config.local`, the later file winning key by key (as DVC merges them). */
export function loadDvcConfig(root: string): DvcConfig {
  const base = dvcDir(root);
  const merged = new Map<string, Map<string, string>>();
  const problems: Problem[] = [];
  for (const level of ["repo", "local"] as const) {
    let file: ConfigObjFile;
    try {
      file = ConfigObjFile.load(configPath(root, level));
    } catch (error) {
      if (error instanceof ProblemsError) {
        problems.push(...error.problems);
        continue;
      }
      throw error;
    }
    for (const section of file.sections()) {
      const target = merged.get(section) ?? new Map<string, string>();
      for (const [k, v] of file.entries(section)) {
        // Relative paths are relative to the file that holds them; both live in .dvc/.
        target.set(k, k === "url" && isLocalUrl(v) && !isAbsolute(v) ? resolve(base, v) : v);
      }
      merged.set(section, target);
    }
  }
  if (problems.length > 0) throw new ProblemsError(problems);
  const config: DvcConfig = { root, remotes: new Map() };
  const core = merged.get("core");
  const defaultRemote = core?.get("remote");
  if (defaultRemote) config.defaultRemote = defaultRemote;
  for (const [section, values] of merged) {
    const m = /^remote "(.+)"$/.exec(section);
    if (!m) continue;
    const name = m[1] as string;
    const url = values.get("url");
    if (url === undefined) continue;
    const options: Record<string, string> = {};
    for (const [k, v] of values) if (k !== "url") options[k] = v;
    config.remotes.set(name, { name, url, options });
  }
  return config;
}

/** How a URL typed on the command line is stored: a local path relative to `.dvc/` as DVC writes it. */
export function urlForConfig(root: string, url: string, cwd = process.cwd()): string {
  if (!isLocalUrl(url) || isAbsolute(url)) return url;
  return relative(dvcDir(root), resolve(cwd, url)).split("\\").join("/") || ".";
}

/** Remote options that hold secrets: never printed, and better kept in config.local. */
export const SECRET_OPTIONS = new Set([
  "secret_access_key",
  "access_key_id",
  "session_token",
  "password",
  "gdrive_client_secret",
  "gdrive_service_account_json_file_path",
]);
