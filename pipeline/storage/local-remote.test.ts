// The local-folder remote end to end: add → push → lose cache and workspace → pull gives the same bytes;
// status -c, a corrupted remote object, an interrupted push that resumes, retries, dvc.lock outs, the CLI.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../engine.ts";
import { addPath } from "./add.ts";
import { registerStorageCommands } from "./commands.ts";
import { LocalRemote } from "./local-remote.ts";
import type { Remote } from "./remote.ts";
import { collectCloudStatus, fetch, pull, push } from "./sync.ts";

function makeRepo(files: Record<string, string | Buffer> = {}): { root: string; store: string } {
  const base = mkdtempSync(join(tmpdir(), "ocrflow-local-"));
  const root = join(base, "repo");
  const store = join(base, "store");
  mkdirSync(join(root, ".dvc"), { recursive: true });
  writeFileSync(
    join(root, ".dvc/config"),
    `[core]\n    remote = store\n['remote "store"']\n    url = ../../store\n`,
  );
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return { root, store };
}

function dataset(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`data/base/part-${i % 3}/line-${i}.txt`] = `sample ${i}\n`.repeat(i + 1);
  return files;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else out[r] = readFileSync(join(dir, r), "utf8");
    }
  };
  walk("");
  return out;
}

function dropCache(root: string): void {
  const cache = join(root, ".dvc/cache");
  const unlock = (p: string) => {
    for (const d of readdirSync(p, { withFileTypes: true })) {
      chmodSync(join(p, d.name), 0o755);
      if (d.isDirectory()) unlock(join(p, d.name));
    }
  };
  if (existsSync(cache)) unlock(cache);
  rmSync(cache, { recursive: true, force: true });
  rmSync(join(root, ".dvc/tmp"), { recursive: true, force: true });
}

/** A remote whose puts are counted, and which can fail after some puts or fail transiently first. */
class ScriptedRemote implements Remote {
  readonly name: string;
  readonly displayUrl: string;
  puts: string[] = [];
  failAfter = Number.POSITIVE_INFINITY;
  flakyOnce = new Set<string>();
  private readonly inner: LocalRemote;

  constructor(inner: LocalRemote) {
    this.inner = inner;
    this.name = inner.name;
    this.displayUrl = inner.displayUrl;
  }
  stat(oids: readonly string[]) {
    return this.inner.stat(oids);
  }
  async put(oid: string, path: string, options: Parameters<Remote["put"]>[2]) {
    if (this.flakyOnce.delete(oid)) throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    if (this.puts.length >= this.failAfter) throw new Error("connection lost for good");
    this.puts.push(oid);
    return this.inner.put(oid, path, options);
  }
  get(oid: string) {
    return this.inner.get(oid);
  }
  close() {}
}

describe("local remote", () => {
  it("add → push → delete cache and workspace → pull restores the same bytes", async () => {
    const { root, store } = makeRepo({ ...dataset(12), "labels.csv": "file,text\n" });
    await addPath(root, "data/base");
    await addPath(root, "labels.csv");
    const before = snapshot(join(root, "data/base"));
    const pushed = await push({ root });
    expect(pushed.ok).toBe(true);
    expect(pushed.reports[0]).toMatchObject({ remote: "store", transferred: 14, skipped: 0 });
    expect(existsSync(join(store, "files/md5"))).toBe(true);

    dropCache(root);
    rmSync(join(root, "data/base"), { recursive: true });
    rmSync(join(root, "labels.csv"));
    const progress: number[] = [];
    const pulled = await pull({ root, jobs: 3, onProgress: (p) => progress.push(p.filesDone) });
    expect(pulled.ok).toBe(true);
    expect(pulled.reports[0]).toMatchObject({ transferred: 14 });
    expect(pulled.checkout?.map((c) => c.outcome)).toEqual(["restored", "restored"]);
    expect(snapshot(join(root, "data/base"))).toEqual(before);
    expect(readFileSync(join(root, "labels.csv"), "utf8")).toBe("file,text\n");
    expect(Math.max(...progress)).toBe(14);

    const again = await push({ root });
    expect(again.reports[0]).toMatchObject({ transferred: 0, skipped: 14 });
    const noop = await pull({ root });
    expect(noop.reports[0]?.transferred).toBe(0);
    expect(noop.checkout?.map((c) => c.outcome)).toEqual(["unchanged", "unchanged"]);
  });

  it("status -c lists new, deleted and missing objects", async () => {
    const { root, store } = makeRepo({ ...dataset(3), "a.txt": "a", "b.txt": "b" });
    await addPath(root, "data/base");
    await addPath(root, "a.txt");
    expect((await collectCloudStatus({ root }))[0]?.entries.every((e) => e.state === "new")).toBe(true);
    await push({ root });
    await addPath(root, "b.txt");
    const objectB = join(root, ".dvc/cache/files/md5/92/eb5ffee6ae2fec3ad71c777531578f");
    chmodSync(dirname(objectB), 0o755);
    rmSync(objectB, { force: true });
    const aObject = join(root, ".dvc/cache/files/md5/0c/c175b9c0f1b6a831c399e269772661");
    rmSync(aObject, { force: true });
    const states = Object.fromEntries(
      ((await collectCloudStatus({ root }))[0]?.entries ?? []).map((e) => [e.path, e.state]),
    );
    expect(states["a.txt"]).toBe("deleted");
    expect(states["b.txt"]).toBe("missing");
    expect(states["data/base"]).toBe("ok");
    expect(existsSync(store)).toBe(true);
  });

  it("a corrupted object on the remote is reported and never placed in the cache or workspace", async () => {
    const { root, store } = makeRepo({ ...dataset(4) });
    await addPath(root, "data/base");
    await push({ root });
    const objects = readdirSync(join(store, "files/md5"), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && !d.name.endsWith(".dir"))
      .map((d) => join(d.parentPath, d.name));
    const bad = objects[0] as string;
    writeFileSync(bad, "tampered bytes");
    const oid = bad.split("/").slice(-2).join("");
    dropCache(root);
    rmSync(join(root, "data/base"), { recursive: true });
    const report = await pull({ root });
    expect(report.ok).toBe(false);
    expect(report.reports[0]?.corrupted.map((c) => c.oid)).toEqual([oid]);
    expect(report.reports[0]?.corrupted[0]?.reason).toMatch(/corrupted: its content hashes to/);
    expect(existsSync(join(root, ".dvc/cache/files/md5", oid.slice(0, 2), oid.slice(2)))).toBe(false);
    expect(report.checkout?.[0]?.outcome).toBe("missing");
    expect(existsSync(join(root, "data/base"))).toBe(false);
  });

  it("an interrupted push resumes: objects already on the remote are not sent again, the .dir goes last", async () => {
    const { root, store } = makeRepo(dataset(10));
    await addPath(root, "data/base");
    const inner = new LocalRemote("store", store);
    const first = new ScriptedRemote(inner);
    first.failAfter = 4;
    const interrupted = await push({ root, jobs: 1, openRemote: async () => first });
    expect(interrupted.ok).toBe(false);
    expect(first.puts).toHaveLength(4);
    expect(first.puts.some((o) => o.endsWith(".dir"))).toBe(false);
    expect(interrupted.reports[0]?.failed.some((f) => f.oid.endsWith(".dir"))).toBe(true);

    const second = new ScriptedRemote(inner);
    const resumed = await push({ root, jobs: 4, openRemote: async () => second });
    expect(resumed.ok).toBe(true);
    expect(resumed.reports[0]).toMatchObject({ skipped: 4, transferred: 7 });
    expect(second.puts).toHaveLength(7);
    expect(second.puts.at(-1)?.endsWith(".dir")).toBe(true);
    expect(new Set([...first.puts, ...second.puts]).size).toBe(11);
  });

  it("retries transient network errors with backoff", async () => {
    const { root, store } = makeRepo(dataset(5));
    const added = await addPath(root, "data/base");
    const remote = new ScriptedRemote(new LocalRemote("store", store));
    for (const e of JSON.parse(
      readFileSync(join(root, ".dvc/cache/files/md5", added.md5.slice(0, 2), added.md5.slice(2)), "utf8"),
    ))
      remote.flakyOnce.add(e.md5);
    const report = await push({ root, openRemote: async () => remote, retry: { baseDelayMs: 1 } });
    expect(report.ok).toBe(true);
    expect(report.reports[0]?.retries).toBe(5);
    expect(report.reports[0]?.transferred).toBe(6);
  });

  it("pushes and fetches the cached outs recorded in dvc.lock, honouring cache: false and push: false", async () => {
    const { root } = makeRepo({
      "dvc.yaml": `stages:
  make:
    cmd: mkdir -p out && echo one > out/a && echo two > model.bin && echo 3 > score.json && echo x > local.bin
    outs:
      - out
      - model.bin
      - local.bin:
          push: false
    metrics:
      - score.json:
          cache: false
`,
    });
    const run = await runPipeline({ root, jobs: 1 });
    expect(run.ok).toBe(true);
    const pushed = await push({ root, targets: ["make"] });
    expect(pushed.reports[0]).toMatchObject({ transferred: 3 }); // out/.dir, out/a, model.bin; not local.bin
    dropCache(root);
    rmSync(join(root, "out"), { recursive: true });
    const fetched = await fetch({ root, targets: ["model.bin", "out"] });
    expect(fetched.reports[0]?.transferred).toBe(3);
    const pulled = await pull({ root });
    expect(pulled.reports[0]?.missing.map((m) => m.path)).toEqual(["local.bin"]);
    expect(readFileSync(join(root, "out/a"), "utf8")).toBe("one\n");
  });

  it("the CLI: remote add -d, add, push, status -c output, pull into an empty workspace", async () => {
    const { root } = makeRepo({ "data/base/x.txt": "x", "data/base/y.txt": "y" });
    rmSync(join(root, ".dvc/config"));
    const out: string[] = [];
    const err: string[] = [];
    const sink = (into: string[]) =>
      new Writable({
        write(chunk, _enc, done) {
          into.push(String(chunk));
          done();
        },
      });
    const cli = async (...args: string[]) => {
      const program = new Command("ocrflow").exitOverride();
      registerStorageCommands(program, () => ({ out: sink(out), err: sink(err), env: {} }));
      process.exitCode = 0;
      await program.parseAsync(["node", "ocrflow", ...args, "-C", root]);
      const code = process.exitCode;
      process.exitCode = 0;
      return code;
    };
    expect(await cli("remote", "add", "-d", "mine", "../elsewhere")).toBe(0);
    expect(readFileSync(join(root, ".dvc/config"), "utf8")).toBe(
      `['remote "mine"']\n    url = ../../elsewhere\n[core]\n    remote = mine\n`,
    );
    expect(await cli("remote", "add", "mine", "/x")).toBe(2);
    expect(err.join("")).toMatch(/already exists/);
    expect(await cli("add", "data/base")).toBe(0);
    const { cloudStatus } = await import("./commands.ts");
    out.length = 0;
    await cloudStatus({ root }, { out: sink(out), err: sink(err), env: {} });
    expect(out.join("")).toBe("\tnew:        data/base\n");
    expect(await cli("push")).toBe(0);
    expect(out.join("")).toMatch(/mine: 3 file\(s\) pushed/);
    out.length = 0;
    await cloudStatus({ root }, { out: sink(out), err: sink(err), env: {} });
    expect(out.join("")).toBe("Cache and remote 'mine' are in sync.\n");
    dropCache(root);
    rmSync(join(root, "data/base"), { recursive: true });
    expect(await cli("pull")).toBe(0);
    expect(readFileSync(join(root, "data/base/y.txt"), "utf8")).toBe("y");
    expect(await cli("remote", "list")).toBe(0);
    expect(out.join("")).toContain(`mine\t${join(root, "..", "elsewhere")}  (default)\n`);
  });
});
