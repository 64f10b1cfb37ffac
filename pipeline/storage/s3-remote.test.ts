// The S3 remote against a local moto_server started here: push/pull round trip, request counts on a resumed
// push, listing for many objects, a corrupted object, and no secret in any message.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addPath } from "./add.ts";
import { cloudStatus } from "./commands.ts";
import type { RemoteConfig } from "./dvc-config.ts";
import type { Remote } from "./remote.ts";
import { S3Remote } from "./s3-remote.ts";
import { collectCloudStatus, pull, push } from "./sync.ts";

const MOTO = spawnSync("sh", ["-c", "command -v moto_server"], { encoding: "utf8" }).stdout.trim();
if (!MOTO)
  console.warn(
    "s3-remote.test.ts: skipped: `moto_server` is not on PATH (moto ships with the project's machine image)",
  );

const KEY_ID = "AKIDTESTONLY12345";
const SECRET = "moto-secret-never-printed-9876";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

describe.skipIf(!MOTO)("S3 remote (moto_server)", () => {
  let moto: ChildProcess;
  let endpoint: string;
  let admin: S3Client;
  let bucketCount = 0;

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn(MOTO, ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(endpoint)).status < 500) break;
      } catch {
        if (Date.now() > deadline) throw new Error("moto_server did not start within 20 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    admin = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    });
  });

  afterAll(() => {
    admin?.destroy();
    moto?.kill();
  });

  async function makeRepo(files: Record<string, string>): Promise<{ root: string; bucket: string }> {
    const bucket = `ocrflow-test-${++bucketCount}`;
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const root = mkdtempSync(join(tmpdir(), "ocrflow-s3-"));
    mkdirSync(join(root, ".dvc"));
    writeFileSync(
      join(root, ".dvc/config"),
      `[core]\n    remote = s3\n['remote "s3"']\n    url = s3://${bucket}/dvc/store\n    endpointurl = ${endpoint}\n`,
    );
    writeFileSync(
      join(root, ".dvc/config.local"),
      `['remote "s3"']\n    access_key_id = ${KEY_ID}\n    secret_access_key = ${SECRET}\n`,
    );
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return { root, bucket };
  }

  function recording(opened: S3Remote[]) {
    return async (config: RemoteConfig): Promise<Remote> => {
      const remote = S3Remote.fromConfig(config, {});
      opened.push(remote);
      return remote;
    };
  }

  function files(n: number): Record<string, string> {
    return Object.fromEntries(
      Array.from({ length: n }, (_, i) => [`data/base/f${i}.txt`, `line ${i}\n`.repeat(i + 1)]),
    );
  }

  function dropLocal(root: string) {
    spawnSync("chmod", ["-R", "u+w", join(root, ".dvc/cache")]);
    rmSync(join(root, ".dvc/cache"), { recursive: true, force: true });
    rmSync(join(root, ".dvc/tmp"), { recursive: true, force: true });
    rmSync(join(root, "data/base"), { recursive: true, force: true });
  }

  it("push → delete cache and workspace → pull gives the same bytes; a resumed push re-sends nothing", async () => {
    const { root, bucket } = await makeRepo(files(8));
    await addPath(root, "data/base");
    const opened: S3Remote[] = [];
    const first = await push({ root, openRemote: recording(opened) });
    expect(first.ok).toBe(true);
    expect(opened[0]?.requests.put).toBe(9);

    // Lose three objects on the server, as an interrupted push would have left it: only they go again.
    const remote = opened[0] as S3Remote;
    const status = await collectCloudStatus({ root });
    const fileOids = (status[0]?.entries ?? []).filter((e) => !e.oid.endsWith(".dir")).map((e) => e.oid);
    for (const oid of fileOids.slice(0, 3)) {
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: remote.keyOf(oid) }));
    }
    const again: S3Remote[] = [];
    const resumed = await push({ root, openRemote: recording(again) });
    expect(resumed.reports[0]).toMatchObject({ transferred: 3, skipped: 6 });
    expect(again[0]?.requests.put).toBe(3);

    const before = Object.fromEntries(
      Object.keys(files(8)).map((f) => [f, readFileSync(join(root, f), "utf8")]),
    );
    dropLocal(root);
    const pulled = await pull({ root });
    expect(pulled.ok).toBe(true);
    for (const [f, text] of Object.entries(before)) expect(readFileSync(join(root, f), "utf8")).toBe(text);
  });

  it("many objects are checked with one listing instead of a HEAD each", async () => {
    const { root } = await makeRepo(files(300));
    await addPath(root, "data/base");
    const opened: S3Remote[] = [];
    const report = await push({ root, jobs: 32, openRemote: recording(opened) });
    expect(report.reports[0]?.transferred).toBe(301);
    expect(opened[0]?.requests).toMatchObject({ head: 0, put: 301 });
    expect(opened[0]?.requests.list).toBeGreaterThanOrEqual(1);
  });

  it("a corrupted object on S3 is detected and not placed", async () => {
    const { root, bucket } = await makeRepo({ "model.bin": "weights v1" });
    const added = await addPath(root, "model.bin");
    await push({ root });
    const key = `dvc/store/files/md5/${added.md5.slice(0, 2)}/${added.md5.slice(2)}`;
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "weights v2" }));
    spawnSync("chmod", ["-R", "u+w", join(root, ".dvc/cache")]);
    rmSync(join(root, ".dvc/cache"), { recursive: true });
    rmSync(join(root, "model.bin"));
    const report = await pull({ root });
    expect(report.reports[0]?.corrupted.map((c) => c.path)).toEqual(["model.bin"]);
    expect(report.checkout?.[0]?.outcome).toBe("missing");
  });

  it("errors and status output never show the secret key or key id", async () => {
    const { root } = await makeRepo({ "a.txt": "a" });
    await addPath(root, "a.txt");
    writeFileSync(
      join(root, ".dvc/config"),
      readFileSync(join(root, ".dvc/config"), "utf8").replace(/s3:\/\/[^/]+/, "s3://no-such-bucket"),
    );
    const lines: string[] = [];
    const io = {
      out: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
      err: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream,
      env: {},
    };
    const code = await cloudStatus({ root }, io);
    const failed = await push({ root }).then(
      (r) => JSON.stringify(r),
      (e: Error) => e.message,
    );
    const text = lines.join("") + failed;
    expect(code).toBe(2);
    expect(text).toMatch(/no-such-bucket|NoSuchBucket/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY_ID);
  });
});
