// A Hugging Face Hub stand-in for tests, on 127.0.0.1: the routes @huggingface/hub uses to create a repo,
// read a file and commit (preupload, LFS batch + PUT, NDJSON commit), each checked against the protocol.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** One line of a commit's NDJSON body, as the server received it. */
export type CommitLine =
  | { key: "header"; value: { summary: string; description?: string; parentCommit?: string } }
  | { key: "file"; value: { path: string; content: string; encoding: "base64" } }
  | { key: "lfsFile"; value: { path: string; algo: "sha256"; size: number; oid: string } }
  | { key: "deletedFile"; value: { path: string } };

export interface FakeCommit {
  oid: string;
  repo: string;
  summary: string;
  description: string;
  lines: CommitLine[];
}

export interface FakeRepo {
  id: string;
  private: boolean | undefined;
  license: string | undefined;
  /** Path → content, after every commit so far. */
  files: Map<string, Buffer>;
  /** Paths stored through LFS. */
  lfsPaths: Set<string>;
}

export interface FakeHub {
  url: string;
  token: string;
  repos: Map<string, FakeRepo>;
  commits: FakeCommit[];
  /** LFS objects received by oid (sha256). */
  lfsObjects: Map<string, Buffer>;
  requests: RecordedRequest[];
  /** Protocol violations seen; a test expects this to stay empty. */
  violations: string[];
  /** The next request whose path matches gets this answer instead (once). */
  failNext(match: RegExp, status: number, body: unknown): void;
  close(): Promise<void>;
}

/** Files the server puts through LFS, as the Hub's default .gitattributes and binary detection do. */
function isLfsPath(path: string, sample: Buffer): boolean {
  return /\.(bin|safetensors|onnx|h5|pt|pb)$/.test(path) || sample.includes(0);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeHub(token = "hf_fakeTestToken0123456789"): Promise<FakeHub> {
  const repos = new Map<string, FakeRepo>();
  const commits: FakeCommit[] = [];
  const lfsObjects = new Map<string, Buffer>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const failures: Array<{ match: RegExp; status: number; body: unknown }> = [];
  let url = "";

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const parsed = new URL(req.url ?? "/", url);
    const path = decodeURIComponent(parsed.pathname);
    const method = req.method ?? "GET";
    requests.push({ method, path, headers: req.headers, body });
    const failure = failures.findIndex((f) => f.match.test(path));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      if (f) return json(res, f.status, f.body);
    }
    const authorized = req.headers.authorization === `Bearer ${token}`;
    const violation = (what: string) => {
      violations.push(`${method} ${path}: ${what}`);
      json(res, 400, { error: what });
    };

    // LFS object upload: raw bytes, no Authorization (the href is pre-signed on the real Hub).
    let m = /^\/lfs-upload\/([0-9a-f]{64})$/.exec(path);
    if (m && method === "PUT") {
      if (req.headers.authorization) return violation("LFS upload must not carry Authorization");
      const oid = m[1] as string;
      if (createHash("sha256").update(body).digest("hex") !== oid)
        return violation("LFS bytes do not match oid");
      lfsObjects.set(oid, body);
      res.writeHead(200).end();
      return;
    }
    if (!authorized) return json(res, 401, { error: "Invalid credentials in Authorization header" });

    if (path === "/api/repos/create" && method === "POST") {
      const request = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      if (request.type !== "model") return violation("type must be model");
      if (typeof request.name !== "string" || typeof request.organization !== "string")
        return violation("name and organization are required");
      const id = `${request.organization}/${request.name}`;
      if (repos.has(id)) return json(res, 409, { error: "You already created this model repo" });
      const visibility = request.visibility as string | undefined;
      repos.set(id, {
        id,
        private: visibility === undefined ? undefined : visibility === "private",
        license: request.license as string | undefined,
        files: new Map(),
        lfsPaths: new Set(),
      });
      return json(res, 200, { url: `${url}/${id}`, id });
    }

    m = /^\/api\/models\/([^/]+\/[^/]+)$/.exec(path);
    if (m && method === "GET") {
      const repo = repos.get(m[1] as string);
      return repo
        ? json(res, 200, { id: repo.id, private: repo.private })
        : json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
    }

    m = /^\/api\/models\/([^/]+\/[^/]+)\/preupload\/main$/.exec(path);
    if (m && method === "POST") {
      if (!repos.has(m[1] as string)) return json(res, 404, { error: "Repository not found" });
      const request = JSON.parse(body.toString("utf8")) as {
        files: Array<{ path: string; size: number; sample: string }>;
      };
      if (!Array.isArray(request.files) || request.files.length > 100)
        return violation("files: 1..100 entries");
      return json(res, 200, {
        files: request.files.map((f) => ({
          path: f.path,
          uploadMode: isLfsPath(f.path, Buffer.from(f.sample, "base64")) ? "lfs" : "regular",
        })),
      });
    }

    m = /^\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/.exec(path);
    if (m && method === "POST") {
      if (req.headers["content-type"] !== "application/vnd.git-lfs+json")
        return violation("LFS Content-Type");
      if (req.headers.accept !== "application/vnd.git-lfs+json") return violation("LFS Accept");
      const request = JSON.parse(body.toString("utf8")) as {
        operation: string;
        transfers: string[];
        hash_algo: string;
        objects: Array<{ oid: string; size: number }>;
      };
      if (
        request.operation !== "upload" ||
        request.hash_algo !== "sha_256" ||
        !request.transfers.includes("basic")
      )
        return violation("LFS batch: operation upload, hash_algo sha_256, basic transfer expected");
      res.writeHead(200, { "Content-Type": "application/vnd.git-lfs+json" });
      res.end(
        JSON.stringify({
          transfer: "basic",
          objects: request.objects.map((o) =>
            lfsObjects.has(o.oid)
              ? { oid: o.oid, size: o.size }
              : { oid: o.oid, size: o.size, actions: { upload: { href: `${url}/lfs-upload/${o.oid}` } } },
          ),
        }),
      );
      return;
    }

    m = /^\/api\/models\/([^/]+\/[^/]+)\/commit\/main$/.exec(path);
    if (m && method === "POST") {
      const repo = repos.get(m[1] as string);
      if (!repo) return json(res, 404, { error: "Repository not found" });
      if (req.headers["content-type"] !== "application/x-ndjson") return violation("commit Content-Type");
      const lines = body
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as CommitLine);
      const header = lines[0];
      if (header?.key !== "header" || !header.value.summary)
        return violation("first line must be the header");
      const staged = new Map(repo.files);
      const lfs = new Set(repo.lfsPaths);
      for (const line of lines.slice(1)) {
        if (line.key === "file") {
          if (line.value.encoding !== "base64") return violation("file encoding must be base64");
          staged.set(line.value.path, Buffer.from(line.value.content, "base64"));
          lfs.delete(line.value.path);
        } else if (line.key === "lfsFile") {
          const object = lfsObjects.get(line.value.oid);
          if (!object)
            return violation(`lfsFile ${line.value.path}: object ${line.value.oid} was never uploaded`);
          if (object.length !== line.value.size)
            return violation(`lfsFile ${line.value.path}: size mismatch`);
          staged.set(line.value.path, object);
          lfs.add(line.value.path);
        } else if (line.key === "deletedFile") {
          staged.delete(line.value.path);
        } else return violation(`unknown line key ${(line as { key: string }).key}`);
      }
      repo.files = staged;
      repo.lfsPaths = lfs;
      const oid = createHash("sha1").update(body).digest("hex");
      commits.push({
        oid,
        repo: repo.id,
        summary: header.value.summary,
        description: header.value.description ?? "",
        lines,
      });
      return json(res, 200, { commitOid: oid, commitUrl: `${url}/${repo.id}/commit/${oid}`, hookOutput: "" });
    }

    m = /^\/([^/]+\/[^/]+)\/(?:resolve|raw)\/main\/(.+)$/.exec(path);
    if (m && (method === "GET" || method === "HEAD")) {
      const repo = repos.get(m[1] as string);
      if (!repo) return json(res, 404, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound" });
      const content = repo.files.get(m[2] as string);
      if (!content) return json(res, 404, { error: "Entry not found" }, { "X-Error-Code": "EntryNotFound" });
      const etag = `"${createHash("sha1").update(content).digest("hex")}"`;
      const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(Number(range[2]), content.length - 1);
        res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${content.length}`, ETag: etag });
        res.end(content.subarray(start, end + 1));
      } else {
        res.writeHead(200, { "Content-Length": content.length, ETag: etag });
        res.end(method === "HEAD" ? undefined : content);
      }
      return;
    }
    json(res, 404, { error: `no route ${method} ${path}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    repos,
    commits,
    lfsObjects,
    requests,
    violations,
    failNext: (match, status, body) => failures.push({ match, status, body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
