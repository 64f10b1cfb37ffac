// ClearML REST session: auth.login with the access/secret key (HTTP Basic) for a Bearer token, renewed on 401;
// `{api}/v2.13/{service}.{action}` calls with JSON bodies, events.add_batch as JSON lines. One try per call:
// retrying and outage handling belong to the tracker.
import { type ClearMLSettings, redact } from "./clearml-config.ts";

/**
 * 2.13 is the oldest version with every call used here (edit_hyper_params 2.9, add_or_update_artifacts 2.10,
 * models.add_or_update_metadata 2.13); pinning it keeps answers stable on newer servers.
 */
export const CLEARML_API_VERSION = "2.13";

export type FetchLike = typeof fetch;

export class ClearMLError extends Error {
  constructor(
    message: string,
    /** network: no answer; http: an error answer; protocol: an answer we could not understand. */
    readonly kind: "network" | "http" | "protocol",
    /** Worth trying again later: no answer, a timeout, 5xx, 429. */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ClearMLError";
  }
}

interface Envelope<T> {
  meta?: { result_code?: number; result_subcode?: number; result_msg?: string };
  data?: T;
}

export interface ClearMLSessionOptions {
  fetch?: FetchLike;
  /** Per request; an unresponsive server must not hold training up for long. */
  timeoutMs?: number;
}

export class ClearMLSession {
  private token: string | undefined;
  private loggingIn: Promise<void> | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;

  constructor(
    private readonly settings: ClearMLSettings,
    options: ClearMLSessionOptions = {},
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.token = settings.authToken;
  }

  /** Every string that must never appear in a message: keys and the current token. */
  secrets(): string[] {
    return this.token ? [...this.settings.secrets(), this.token] : this.settings.secrets();
  }

  endpointUrl(endpoint: string): string {
    return `${this.settings.apiServer}/v${CLEARML_API_VERSION}/${endpoint}`;
  }

  /** auth.login: Basic access_key:secret_key → a JWT used as Bearer token by later calls. */
  async login(): Promise<void> {
    const { accessKey, secretKey } = this.settings;
    if (!accessKey || !secretKey) {
      if (this.token) return;
      throw new ClearMLError("auth.login: no access/secret key", "http", false, 401);
    }
    const basic = Buffer.from(`${accessKey}:${secretKey}`).toString("base64");
    const data = await this.request<{ token?: string }>(
      "auth.login",
      `Basic ${basic}`,
      "{}",
      "application/json",
    );
    if (typeof data.token !== "string" || !data.token)
      throw new ClearMLError("auth.login: answer has no token", "protocol", false);
    this.token = data.token;
  }

  /** One call; an expired or missing token is renewed once and the call repeated. */
  async call<T = Record<string, unknown>>(endpoint: string, body: object): Promise<T> {
    return this.authed(endpoint, JSON.stringify(body), "application/json");
  }

  /** events.add_batch: one event per line, as the SDK sends them. */
  async addEvents(events: readonly object[]): Promise<{ added: number; errors: number }> {
    const text = events.map((event) => JSON.stringify(event)).join("\n");
    const data = await this.authed<{ added?: number; errors?: number }>(
      "events.add_batch",
      text,
      "application/json-lines",
    );
    return { added: data.added ?? 0, errors: data.errors ?? 0 };
  }

  private async authed<T>(endpoint: string, body: string, contentType: string): Promise<T> {
    if (!this.token) await this.relogin(undefined);
    const used = this.token;
    try {
      return await this.request<T>(endpoint, `Bearer ${used}`, body, contentType);
    } catch (error) {
      if (!(error instanceof ClearMLError) || error.status !== 401 || !this.settings.accessKey) throw error;
      await this.relogin(used);
      return this.request<T>(endpoint, `Bearer ${this.token}`, body, contentType);
    }
  }

  /** One login for all the calls that found `expired` rejected at the same time. */
  private relogin(expired: string | undefined): Promise<void> {
    if (this.token !== expired) return Promise.resolve();
    if (!this.loggingIn) {
      this.loggingIn = this.login().finally(() => {
        this.loggingIn = undefined;
      });
    }
    return this.loggingIn;
  }

  private async request<T>(
    endpoint: string,
    authorization: string,
    body: string,
    contentType: string,
  ): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.endpointUrl(endpoint), {
        method: "POST",
        headers: { Authorization: authorization, "Content-Type": contentType, Accept: "application/json" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ClearMLError(`${endpoint}: ${this.describe(error)}`, "network", true);
    }
    let envelope: Envelope<T> | undefined;
    let raw = "";
    try {
      raw = await response.text();
      envelope = JSON.parse(raw) as Envelope<T>;
    } catch (error) {
      if (response.ok)
        throw new ClearMLError(`${endpoint}: unreadable answer (${this.describe(error)})`, "protocol", false);
    }
    const code = envelope?.meta?.result_code ?? response.status;
    if (!response.ok || code !== 200) {
      const status = response.ok ? code : response.status;
      const msg = envelope?.meta?.result_msg ?? raw.slice(0, 200);
      throw new ClearMLError(
        this.clean(`${endpoint}: HTTP ${status}${msg ? ` ${msg}` : ""}`),
        "http",
        status >= 500 || status === 429 || status === 408,
        status,
      );
    }
    if (!envelope || typeof envelope.data !== "object" || envelope.data === null)
      throw new ClearMLError(`${endpoint}: answer has no data`, "protocol", false);
    return envelope.data;
  }

  private describe(error: unknown): string {
    if (error instanceof Error) {
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message;
      if (error.name === "TimeoutError") return `no answer in ${this.timeoutMs} ms`;
      return this.clean(detail ? `${error.message} (${detail})` : error.message);
    }
    return this.clean(String(error));
  }

  private clean(text: string): string {
    return redact(text, this.secrets());
  }
}
