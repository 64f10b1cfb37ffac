// Where the ClearML client finds its server and credentials: the CLEARML_* (or legacy TRAINS_*) environment
// variables first, then clearml.conf (HOCON) from CLEARML_CONFIG_FILE or the home folder, as the Python SDK does.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { getPath, type HoconObject, parseHocon } from "./hocon.ts";

type Env = Record<string, string | undefined>;

/** Each setting's variables, newest name first (clearml/backend_api/session/defs.py). */
const ENV_NAMES = {
  apiHost: ["CLEARML_API_HOST", "TRAINS_API_HOST"],
  webHost: ["CLEARML_WEB_HOST", "TRAINS_WEB_HOST"],
  filesHost: ["CLEARML_FILES_HOST", "TRAINS_FILES_HOST"],
  accessKey: ["CLEARML_API_ACCESS_KEY", "TRAINS_API_ACCESS_KEY"],
  secretKey: ["CLEARML_API_SECRET_KEY", "TRAINS_API_SECRET_KEY"],
  authToken: ["CLEARML_AUTH_TOKEN", "TRAINS_AUTH_TOKEN"],
  configFile: ["CLEARML_CONFIG_FILE", "TRAINS_CONFIG_FILE"],
} as const;

function fromEnv(env: Env, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * A server address and the credentials for it. The secrets live in private fields, so printing, inspecting
 * or JSON-serialising the object never shows them.
 */
export class ClearMLSettings {
  readonly #accessKey: string | undefined;
  readonly #secretKey: string | undefined;
  readonly #authToken: string | undefined;

  constructor(
    readonly apiServer: string,
    readonly webServer: string,
    readonly filesServer: string | undefined,
    credentials: { accessKey?: string; secretKey?: string; authToken?: string },
    /** Where the settings came from ("environment" or a clearml.conf path), for messages. */
    readonly source: string,
  ) {
    this.#accessKey = credentials.accessKey;
    this.#secretKey = credentials.secretKey;
    this.#authToken = credentials.authToken;
  }

  get accessKey(): string | undefined {
    return this.#accessKey;
  }
  get secretKey(): string | undefined {
    return this.#secretKey;
  }
  get authToken(): string | undefined {
    return this.#authToken;
  }

  /** Every secret string, for redacting text that might echo one. */
  secrets(): string[] {
    return [this.#accessKey, this.#secretKey, this.#authToken].filter((s): s is string => !!s);
  }

  toJSON(): Record<string, unknown> {
    return {
      apiServer: this.apiServer,
      webServer: this.webServer,
      filesServer: this.filesServer,
      credentials: this.#accessKey || this.#authToken ? "<hidden>" : "<none>",
      source: this.source,
    };
  }

  [inspect.custom](): string {
    return `ClearMLSettings ${JSON.stringify(this.toJSON())}`;
  }
}

export interface ClearMLSettingsResult {
  /** Absent when no server or no credentials were found. */
  settings?: ClearMLSettings;
  /** Why the settings are absent or partial (never containing a secret). */
  problems: string[];
}

/** The clearml.conf the SDK would read: CLEARML_CONFIG_FILE, else ~/clearml.conf, else ~/trains.conf. */
export function clearmlConfigPath(env: Env, home: string = homedir()): string | undefined {
  const explicit = fromEnv(env, ENV_NAMES.configFile);
  if (explicit) return explicit;
  for (const name of ["clearml.conf", "trains.conf"]) {
    const candidate = join(home, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when the environment alone names a server and credentials: enough to switch ClearML on by itself. */
export function clearmlEnvConfigured(env: Env): boolean {
  const host = fromEnv(env, ENV_NAMES.apiHost);
  const keys = fromEnv(env, ENV_NAMES.accessKey) && fromEnv(env, ENV_NAMES.secretKey);
  return !!host && (!!keys || !!fromEnv(env, ENV_NAMES.authToken));
}

/** The web app's address when none is configured: `api.` → `app.`, port 8008 → 8080 (as the SDK guesses). */
export function guessWebServer(apiServer: string): string {
  try {
    const url = new URL(apiServer);
    if (url.hostname.startsWith("api.")) url.hostname = `app.${url.hostname.slice(4)}`;
    if (url.port === "8008") url.port = "8080";
    return url.toString().replace(/\/$/, "");
  } catch {
    return apiServer;
  }
}

function confString(conf: HoconObject, path: string): string | undefined {
  const value = getPath(conf, path.split("."));
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** Environment variables win over clearml.conf, key by key. */
export function loadClearMLSettings(env: Env, home: string = homedir()): ClearMLSettingsResult {
  const problems: string[] = [];
  let conf: HoconObject = {};
  const confPath = clearmlConfigPath(env, home);
  if (confPath) {
    try {
      conf = parseHocon(readFileSync(confPath, "utf8"), { env, file: confPath });
    } catch (error) {
      // A HoconError names file:line:column and the syntax problem, never the value read.
      problems.push(`cannot read ${confPath}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const envApi = fromEnv(env, ENV_NAMES.apiHost);
  const apiServer = envApi ?? confString(conf, "api.api_server") ?? confString(conf, "api.host");
  const accessKey = fromEnv(env, ENV_NAMES.accessKey) ?? confString(conf, "api.credentials.access_key");
  const secretKey = fromEnv(env, ENV_NAMES.secretKey) ?? confString(conf, "api.credentials.secret_key");
  const authToken = fromEnv(env, ENV_NAMES.authToken);
  if (!apiServer) problems.push("no ClearML API server (CLEARML_API_HOST or api.api_server in clearml.conf)");
  if (!authToken && !(accessKey && secretKey))
    problems.push(
      "no ClearML credentials (CLEARML_API_ACCESS_KEY + CLEARML_API_SECRET_KEY, CLEARML_AUTH_TOKEN, or api.credentials in clearml.conf)",
    );
  if (!apiServer || (!authToken && !(accessKey && secretKey))) return { problems };
  const api = apiServer.replace(/\/+$/, "");
  const web = (
    fromEnv(env, ENV_NAMES.webHost) ??
    confString(conf, "api.web_server") ??
    guessWebServer(api)
  ).replace(/\/+$/, "");
  const files = fromEnv(env, ENV_NAMES.filesHost) ?? confString(conf, "api.files_server");
  const source = envApi || !confPath ? "environment" : confPath;
  const credentials: { accessKey?: string; secretKey?: string; authToken?: string } = {};
  if (accessKey) credentials.accessKey = accessKey;
  if (secretKey) credentials.secretKey = secretKey;
  if (authToken) credentials.authToken = authToken;
  return { settings: new ClearMLSettings(api, web, files, credentials, source), problems };
}

/** Replaces every occurrence of each secret in `text`, so no message or file can carry one. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("<redacted>");
  }
  return out;
}
