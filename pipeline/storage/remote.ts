// One interface for every DVC remote (objects under `<url>/files/md5/xx/rest`), the factory that builds one
// from the merged config, and the errors and secret redaction shared by the implementations.
import type { Readable } from "node:stream";
import { type DvcConfig, isLocalUrl, type RemoteConfig, SECRET_OPTIONS } from "./dvc-config.ts";

/** An object name: a file md5, or `<md5>.dir` for a directory manifest. */
export type ObjectId = string & { __brand: "ObjectId" };

/** DVC 3 keeps objects under this prefix in the cache and on remotes (dvc/data_cloud.py). */
export const OBJECTS_PREFIX = "files/md5";

export function objectKey(oid: string): string {
  return `${OBJECTS_PREFIX}/${oid.slice(0, 2)}/${oid.slice(2)}`;
}

export interface PutOptions {
  /** The object's md5 as verified from the local bytes (S3 sends it as Content-MD5 to guard transit). */
  md5: string;
  size: number;
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

export interface Remote {
  readonly name: string;
  /** The URL with no secret in it, for messages. */
  readonly displayUrl: string;
  /** Sizes of the objects that are present; absent ones are left out. */
  stat(
    oids: readonly string[],
    options?: { jobs?: number; signal?: AbortSignal },
  ): Promise<Map<string, number>>;
  /** Uploads a local file as `oid`; on success the whole object is there (uploads are atomic). */
  put(oid: string, localPath: string, options: PutOptions): Promise<void>;
  /** The object's bytes; throws ObjectMissingError when it is absent. The caller verifies them. */
  get(oid: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  /** Releases connections. */
  close(): void;
}

export class ObjectMissingError extends Error {
  readonly oid: string;
  constructor(oid: string, remote: string) {
    super(`object ${oid} is not on remote '${remote}'`);
    this.name = "ObjectMissingError";
    this.oid = oid;
  }
}

/** A configuration or usage problem with a remote; its message is safe to print. */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteError";
  }
}

/** Replaces every secret value inside a message with `***`. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("***");
  return out;
}

/** The secrets a remote could leak: its configured ones and the AWS_* ones of the environment. */
export function secretsOf(config: RemoteConfig | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets: string[] = [];
  if (config) for (const [k, v] of Object.entries(config.options)) if (SECRET_OPTIONS.has(k)) secrets.push(v);
  for (const k of ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"]) {
    const v = env[k];
    if (v) secrets.push(v);
  }
  return secrets;
}

/** The remote an operation uses: the one named, else `core.remote`; a clear error when there is none. */
export function resolveRemoteConfig(config: DvcConfig, name?: string): RemoteConfig {
  const chosen = name ?? config.defaultRemote;
  if (!chosen) {
    throw new RemoteError(
      "no remote given and no default remote set (use `ocrflow remote add -d NAME URL` or `-r NAME`)",
    );
  }
  const remote = config.remotes.get(chosen);
  if (!remote) {
    const known = [...config.remotes.keys()];
    throw new RemoteError(
      `remote '${chosen}' is not in .dvc/config${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`,
    );
  }
  return remote;
}

export interface OpenRemoteOptions {
  env?: NodeJS.ProcessEnv;
}

/** Builds the implementation for a remote's URL scheme. */
export async function openRemote(config: RemoteConfig, options: OpenRemoteOptions = {}): Promise<Remote> {
  const { url } = config;
  if (isLocalUrl(url) || url.startsWith("file://")) {
    const { LocalRemote } = await import("./local-remote.ts");
    return new LocalRemote(config.name, url.startsWith("file://") ? new URL(url).pathname : url);
  }
  const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
  if (scheme === "s3") {
    const { S3Remote } = await import("./s3-remote.ts");
    return S3Remote.fromConfig(config, options.env ?? process.env);
  }
  if (scheme === "gdrive") {
    throw new RemoteError(
      `remote '${config.name}': Google Drive remotes (gdrive://) are not supported yet; ` +
        "copy the data to a local folder or S3 remote with `dvc push -r <that remote>`",
    );
  }
  throw new RemoteError(
    `remote '${config.name}': '${scheme}://' remotes are not supported (local folders and s3:// are)`,
  );
}
