// A stand-in ClearML API server for tests: checks every request against the protocol (path and version, method,
// Basic/Bearer auth, required body fields, JSON-lines event batches, task state machine) and answers `{meta, data}`.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedCall {
  endpoint: string;
  version: string;
  method: string;
  contentType: string;
  authorization: string;
  /** Parsed JSON body, or the array of events for events.add_batch. */
  body: unknown;
  status: number;
}

export interface FakeTask {
  id: string;
  name: string;
  type: string;
  project: string;
  status: string;
  statusReason?: string;
  tags: string[];
  hyperparams: Record<
    string,
    Record<string, { section: string; name: string; value: string; type?: string }>
  >;
  artifacts: Record<string, Record<string, unknown>>;
  outputModel?: string;
  lastIteration?: number;
}

export interface FakeModel {
  id: string;
  name: string;
  uri: string;
  framework?: string;
  task?: string;
  project?: string;
  metadata: Record<string, { key: string; type: string; value: string }>;
}

export interface FakeClearML {
  url: string;
  calls: RecordedCall[];
  /** Protocol breaches by the client; a correct client leaves this empty. */
  violations: string[];
  events: Array<Record<string, unknown>>;
  projects: Map<string, { id: string; name: string }>;
  tasks: Map<string, FakeTask>;
  models: Map<string, FakeModel>;
  /** The next `times` calls of `endpoint` ("*" for any) answer `status` with `message`. */
  failNext(endpoint: string, status: number, times?: number, message?: string): void;
  /** Every token issued so far stops working: the next call gets 401, as after expiry. */
  expireTokens(): void;
  /** Stops the server and drops open connections: the server "goes away". */
  close(): Promise<void>;
}

const TASK_TYPES = new Set([
  "training",
  "testing",
  "inference",
  "data_processing",
  "application",
  "monitor",
  "controller",
  "optimizer",
  "service",
  "qc",
  "custom",
]);

/** apiserver/bll/task/utils.py state_machine, the part a run goes through. */
const TRANSITIONS: Record<string, Record<string, string[]>> = {
  "tasks.started": { to: ["in_progress"], from: ["created", "queued"] },
  "tasks.completed": { to: ["completed"], from: ["in_progress", "stopped"] },
  "tasks.failed": { to: ["failed"], from: ["in_progress", "stopped", "created", "queued"] },
  "tasks.stopped": { to: ["stopped"], from: ["in_progress"] },
};

const ENDPOINT_PATH = /^\/v(\d+\.\d+)\/([a-z_]+\.[a-z_]+)$/;

interface Failure {
  endpoint: string;
  status: number;
  times: number;
  message: string;
}

class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeClearML(credentials: {
  accessKey: string;
  secretKey: string;
}): Promise<FakeClearML> {
  const calls: RecordedCall[] = [];
  const violations: string[] = [];
  const events: Array<Record<string, unknown>> = [];
  const projects = new Map<string, { id: string; name: string }>();
  const tasks = new Map<string, FakeTask>();
  const models = new Map<string, FakeModel>();
  const failures: Failure[] = [];
  let validTokens = new Set<string>();
  const newId = () => randomBytes(16).toString("hex");

  const violate = (message: string): never => {
    violations.push(message);
    throw new Reject(400, `protocol violation: ${message}`);
  };
  const need = (cond: unknown, message: string) => {
    if (!cond) violate(message);
  };
  const str = (body: Record<string, unknown>, key: string, endpoint: string): string => {
    const value = body[key];
    if (typeof value !== "string" || value === "")
      return violate(`${endpoint}: ${key} must be a non-empty string`);
    return value;
  };
  const task = (body: Record<string, unknown>, endpoint: string): FakeTask => {
    const id = str(body, "task", endpoint);
    const found = tasks.get(id);
    if (!found) throw new Reject(400, `invalid task id ${id}`);
    return found;
  };

  function handle(endpoint: string, body: unknown): Record<string, unknown> {
    if (endpoint === "events.add_batch") {
      const list = body as Array<Record<string, unknown>>;
      for (const event of list) {
        const type = event.type;
        tasks.get(String(event.task)) ?? violate(`events.add_batch: unknown task ${String(event.task)}`);
        need(typeof event.timestamp === "number", "events.add_batch: timestamp must be epoch ms");
        if (type === "training_stats_scalar") {
          need(typeof event.metric === "string", "scalar event: metric");
          need(typeof event.variant === "string", "scalar event: variant");
          need(typeof event.value === "number", "scalar event: value must be a number");
          need(Number.isInteger(event.iter), "scalar event: iter must be an integer");
        } else if (type === "log") {
          need(typeof event.msg === "string", "log event: msg");
          need(["debug", "info", "warning", "error"].includes(String(event.level)), "log event: level");
        } else {
          violate(`events.add_batch: unexpected event type ${String(type)}`);
        }
        events.push(event);
      }
      return { added: list.length, errors: 0, errors_info: {} };
    }
    const b = body as Record<string, unknown>;
    switch (endpoint) {
      case "projects.get_all": {
        const re = new RegExp(str(b, "name", endpoint));
        return { projects: [...projects.values()].filter((p) => re.test(p.name)) };
      }
      case "projects.create": {
        const name = str(b, "name", endpoint);
        if ([...projects.values()].some((p) => p.name === name)) throw new Reject(400, "project exists");
        const id = newId();
        projects.set(id, { id, name });
        return { id };
      }
      case "tasks.create": {
        const name = str(b, "name", endpoint);
        const type = str(b, "type", endpoint);
        need(TASK_TYPES.has(type), `tasks.create: bad type ${type}`);
        if (b.project !== undefined) need(projects.has(String(b.project)), "tasks.create: unknown project");
        const id = newId();
        tasks.set(id, {
          id,
          name,
          type,
          project: String(b.project ?? ""),
          status: "created",
          tags: (b.tags as string[] | undefined) ?? [],
          hyperparams: {},
          artifacts: {},
        });
        return { id };
      }
      case "tasks.started":
      case "tasks.completed":
      case "tasks.failed":
      case "tasks.stopped": {
        const t = task(b, endpoint);
        const rule = TRANSITIONS[endpoint] as Record<string, string[]>;
        if (!rule.from?.includes(t.status)) throw new Reject(400, `invalid status change from ${t.status}`);
        t.status = rule.to?.[0] as string;
        if (typeof b.status_reason === "string") t.statusReason = b.status_reason;
        return { updated: 1, fields: { status: t.status } };
      }
      case "tasks.edit_hyper_params": {
        const t = task(b, endpoint);
        need(Array.isArray(b.hyperparams), "edit_hyper_params: hyperparams must be a list");
        for (const item of b.hyperparams as Array<Record<string, unknown>>) {
          const section = str(item, "section", endpoint);
          const name = str(item, "name", endpoint);
          need(typeof item.value === "string", "edit_hyper_params: value must be a string");
          t.hyperparams[section] ??= {};
          (t.hyperparams[section] as Record<string, unknown>)[name] = item;
        }
        need(
          b.replace_hyperparams === undefined ||
            ["none", "section", "all"].includes(String(b.replace_hyperparams)),
          "edit_hyper_params: replace_hyperparams",
        );
        return { updated: 1 };
      }
      case "tasks.add_or_update_artifacts": {
        const t = task(b, endpoint);
        need(Array.isArray(b.artifacts), "add_or_update_artifacts: artifacts must be a list");
        for (const a of b.artifacts as Array<Record<string, unknown>>) {
          const key = str(a, "key", endpoint);
          str(a, "type", endpoint);
          need(a.mode === undefined || a.mode === "input" || a.mode === "output", "artifact mode");
          t.artifacts[key] = a;
        }
        return { updated: (b.artifacts as unknown[]).length };
      }
      case "models.create": {
        const id = newId();
        const model: FakeModel = {
          id,
          name: str(b, "name", endpoint),
          uri: str(b, "uri", endpoint),
          metadata: {},
        };
        if (typeof b.framework === "string") model.framework = b.framework;
        if (typeof b.task === "string") model.task = b.task;
        if (typeof b.project === "string") model.project = b.project;
        models.set(id, model);
        return { id, created: true };
      }
      case "models.add_or_update_metadata": {
        const model = models.get(str(b, "model", endpoint));
        if (!model) throw new Reject(400, "invalid model id");
        need(Array.isArray(b.metadata), "add_or_update_metadata: metadata must be a list");
        for (const item of b.metadata as Array<Record<string, unknown>>) {
          const key = str(item, "key", endpoint);
          need(typeof item.value === "string" && typeof item.type === "string", "metadata item: type/value");
          model.metadata[key] = item as FakeModel["metadata"][string];
        }
        return { updated: 1 };
      }
      case "models.update_for_task": {
        const t = task(b, endpoint);
        need(
          (b.uri === undefined) !== (b.override_model_id === undefined),
          "update_for_task: one of uri/override",
        );
        if (b.override_model_id !== undefined) {
          need(models.has(String(b.override_model_id)), "update_for_task: unknown model");
          t.outputModel = String(b.override_model_id);
        }
        if (typeof b.iteration === "number") t.lastIteration = b.iteration;
        return { id: t.outputModel, created: false, updated: 1 };
      }
      default:
        return violate(`unknown endpoint ${endpoint}`);
    }
  }

  function answer(
    res: ServerResponse,
    endpoint: string,
    status: number,
    data: unknown,
    message = "OK",
  ): void {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        meta: {
          id: newId(),
          trx: newId(),
          endpoint: { name: endpoint, requested_version: "2.13", actual_version: "2.13" },
          result_code: status,
          result_subcode: 0,
          result_msg: message,
          error_stack: "",
        },
        data: status === 200 ? data : {},
      }),
    );
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const match = ENDPOINT_PATH.exec(req.url ?? "");
    const endpoint = match?.[2] ?? req.url ?? "";
    const record: RecordedCall = {
      endpoint,
      version: match?.[1] ?? "",
      method: req.method ?? "",
      contentType: req.headers["content-type"] ?? "",
      authorization: req.headers.authorization ?? "",
      body: undefined,
      status: 200,
    };
    calls.push(record);
    try {
      if (!match) violate(`path ${req.url} is not /v<X.Y>/<service>.<action>`);
      need(record.method === "POST", `${endpoint}: method ${record.method}`);
      const failure = failures.find((f) => f.endpoint === endpoint || f.endpoint === "*");
      if (failure) {
        failure.times--;
        if (failure.times <= 0) failures.splice(failures.indexOf(failure), 1);
        throw new Reject(failure.status, failure.message);
      }
      if (endpoint === "auth.login") {
        const expected = `Basic ${Buffer.from(`${credentials.accessKey}:${credentials.secretKey}`).toString("base64")}`;
        if (record.authorization !== expected) throw new Reject(401, "Unauthorized (invalid credentials)");
        const token = `tok.${newId()}`;
        validTokens.add(token);
        answer(res, endpoint, 200, { token });
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(record.authorization);
      if (!bearer) violate(`${endpoint}: no Bearer token`);
      if (!validTokens.has(bearer?.[1] ?? "")) throw new Reject(401, "Unauthorized (invalid token)");
      if (endpoint === "events.add_batch") {
        need(record.contentType.startsWith("application/json-lines"), "events.add_batch: content type");
        const lines = text.split("\n");
        need(lines.length > 0 && lines.every((l) => l.trim() !== ""), "events.add_batch: empty line");
        record.body = lines.map((line) => {
          try {
            return JSON.parse(line) as unknown;
          } catch {
            return violate("events.add_batch: a line is not JSON");
          }
        });
        need(
          (record.body as unknown[]).every((e) => typeof e === "object" && e !== null && !Array.isArray(e)),
          "events.add_batch: each line must be one event object",
        );
      } else {
        need(record.contentType.startsWith("application/json"), `${endpoint}: content type`);
        try {
          record.body = JSON.parse(text) as unknown;
        } catch {
          violate(`${endpoint}: body is not JSON`);
        }
        need(
          typeof record.body === "object" && record.body !== null && !Array.isArray(record.body),
          `${endpoint}: body must be an object`,
        );
      }
      answer(res, endpoint, 200, handle(endpoint, record.body));
    } catch (error) {
      const status = error instanceof Reject ? error.status : 500;
      record.status = status;
      answer(res, endpoint, status, {}, error instanceof Error ? error.message : String(error));
    }
  }

  const server: Server = createServer((req, res) => {
    void onRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    violations,
    events,
    projects,
    tasks,
    models,
    failNext(endpoint, status, times = 1, message = "Internal server error") {
      failures.push({ endpoint, status, times, message });
    },
    expireTokens() {
      validTokens = new Set();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
