// `ocrflow add PATH` (`dvc add`): hashes a file or directory, stores it in the object cache (`.dir` manifest
// last), writes `PATH.dvc` in DVC's key order and lists `/PATH` in the `.gitignore` beside it.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../atomic.ts";
import { loadDvcYaml } from "../dvcyaml.ts";
import { ProblemsError } from "../errors.ts";
import { DvcIgnore, dirManifestBytes, hashPath } from "../hash.ts";
import { HashStateCache } from "../state.ts";
import { ObjectCache } from "./cache.ts";
import { type PointerFile, type PointerOut, readPointerFile, writePointerFile } from "./pointer.ts";
import { toPosix } from "./tracked.ts";

export interface AddResult {
  /** Repo-relative path that is now tracked. */
  path: string;
  /** Repo-relative `.dvc` file written. */
  pointerFile: string;
  md5: string;
  size: number;
  nfiles?: number;
}

function refuse(target: string, message: string): never {
  throw new ProblemsError([{ kind: "schema", message, location: { file: target } }]);
}

/** Adds `/name` to `<dir>/.gitignore` unless an identical line is there. */
export function ignoreInGit(absPath: string): void {
  const file = join(dirname(absPath), ".gitignore");
  const entry = `/${basename(absPath)}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (text.split(/\r?\n/).includes(entry)) return;
  writeFileAtomic(file, `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${entry}\n`);
}

export async function addPath(
  root: string,
  target: string,
  options: { cwd?: string } = {},
): Promise<AddResult> {
  const abs = resolve(options.cwd ?? root, target).replace(/[/\\]+$/, "");
  const rel = toPosix(relative(root, abs));
  if (rel === "" || rel.startsWith("..")) refuse(target, "the path must be inside the repository");
  if (/(^|\/)\.(dvc|git)(\/|$)/.test(rel)) refuse(target, "paths inside .dvc/ or .git/ cannot be tracked");
  if (rel.endsWith(".dvc")) refuse(target, "a .dvc file cannot itself be tracked");
  if (!existsSync(abs)) refuse(target, "no such file or directory");
  if (existsSync(join(root, "dvc.yaml"))) {
    const pipeline = loadDvcYaml(join(root, "dvc.yaml"));
    for (const stage of pipeline.stages) {
      for (const out of stage.outs) {
        const outPath = toPosix(join(stage.wdir, out.path));
        if (outPath === rel || rel.startsWith(`${outPath}/`) || outPath.startsWith(`${rel}/`)) {
          refuse(
            target,
            `'${rel}' overlaps output '${outPath}' of stage '${stage.name}' (dvc.lock tracks it)`,
          );
        }
      }
    }
  }
  const state = HashStateCache.open(root);
  const hash = await hashPath(abs, { state, ignore: DvcIgnore.load(root) });
  const cache = new ObjectCache(root);
  if (hash.isDir) {
    const entries = hash.entries();
    cache.addDirectory(abs, hash.md5, entries, dirManifestBytes(entries));
  } else cache.addFile(abs, hash.md5);
  state.save();

  const pointerPath = `${abs}.dvc`;
  let previous: PointerFile | undefined;
  try {
    previous = existsSync(pointerPath) ? readPointerFile(pointerPath, `${rel}.dvc`) : undefined;
  } catch {
    previous = undefined; // an unreadable pointer is replaced, as `dvc add` does
  }
  const out: PointerOut = {
    md5: hash.md5,
    size: hash.size,
    hash: "md5",
    path: basename(abs),
    extra: previous?.outs[0]?.extra ?? {},
  };
  if (hash.isDir) out.nfiles = hash.nfiles;
  writePointerFile(pointerPath, { outs: [out], extra: previous?.extra ?? {} });
  ignoreInGit(abs);
  const result: AddResult = { path: rel, pointerFile: `${rel}.dvc`, md5: hash.md5, size: hash.size };
  if (hash.isDir) result.nfiles = hash.nfiles;
  return result;
}
