// A DVC remote on S3 or an S3-compatible server (MinIO, moto, Ceph): `s3://bucket/prefix` plus endpointurl,
// region and credentials from the remote's config or the usual AWS_* environment; secrets never reach messages.
import { createReadStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { RemoteConfig } from "./dvc-config.ts";
import {
  OBJECTS_PREFIX,
  ObjectMissingError,
  objectKey,
  type PutOptions,
  type Remote,
  RemoteError,
  redact,
  secretsOf,
} from "./remote.ts";

/** Requests sent, by kind: lets tests prove a resumed push re-sent nothing that was already there. */
export interface S3RequestCounts {
  put: number;
  get: number;
  head: number;
  list: number;
}

/** Above this many objects one listing of the prefix is cheaper than a HEAD per object. */
const HEAD_LIMIT = 256;

export class S3Remote implements Remote {
  readonly name: string;
  readonly displayUrl: string;
  readonly bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/` ("" for the bucket root). */
  readonly prefix: string;
  readonly requests: S3RequestCounts = { put: 0, get: 0, head: 0, list: 0 };
  private readonly client: S3Client;
  private readonly secrets: string[];
  private bucketChecked = false;

  constructor(name: string, url: string, clientConfig: S3ClientConfig, secrets: string[]) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
    if (!m) throw new RemoteError(`remote '${name}': bad S3 URL '${url}' (expected s3://bucket/prefix)`);
    this.name = name;
    this.bucket = m[1] as string;
    this.prefix = (m[2] as string).replace(/^\/+|\/+$/g, "");
    this.displayUrl = `s3://${this.bucket}/${this.prefix}`;
    this.client = new S3Client(clientConfig);
    this.secrets = secrets;
  }

  /**
   * Options as DVC names them: endpointurl (path-style addressing, as custom endpoints need), region,
   * access_key_id / secret_access_key / session_token (else the SDK's chain: AWS_* variables, profile),
   * profile, use_ssl (false turns a bare endpoint into http).
   */
  static fromConfig(config: RemoteConfig, env: NodeJS.ProcessEnv): S3Remote {
    const o = config.options;
    const clientConfig: S3ClientConfig = {
      region: o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
      // The SDK retries throttling and 5xx itself; our own retry wraps whole transfers on top.
      maxAttempts: 3,
    };
    let endpoint = o.endpointurl ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    if (endpoint) {
      if (!/^https?:\/\//i.test(endpoint))
        endpoint = `${o.use_ssl === "false" ? "http" : "https"}://${endpoint}`;
      clientConfig.endpoint = endpoint;
      clientConfig.forcePathStyle = true;
    }
    if (o.access_key_id && o.secret_access_key) {
      clientConfig.credentials = {
        accessKeyId: o.access_key_id,
        secretAccessKey: o.secret_access_key,
        ...(o.session_token ? { sessionToken: o.session_token } : {}),
      };
    } else if (o.access_key_id || o.secret_access_key) {
      throw new RemoteError(
        `remote '${config.name}': set both access_key_id and secret_access_key (or neither, to use AWS_* variables)`,
      );
    }
    if (o.profile) clientConfig.profile = o.profile;
    return new S3Remote(config.name, config.url, clientConfig, secretsOf(config, env));
  }

  keyOf(oid: string): string {
    return this.prefix === "" ? objectKey(oid) : `${this.prefix}/${objectKey(oid)}`;
  }

  /** Rewrites an SDK error so that no secret is in its message, keeping what retry decisions need. */
  private safe(error: unknown, what: string): Error {
    const e = error as {
      name?: string;
      message?: string;
      code?: string;
      $metadata?: unknown;
      $retryable?: unknown;
    };
    const message = redact(`${what}: ${e?.name ?? "Error"}: ${e?.message ?? String(error)}`, this.secrets);
    const wrapped = new Error(message) as Error & Record<string, unknown>;
    wrapped.name = e?.name ?? "Error";
    if (e?.code) wrapped.code = e.code;
    if (e?.$metadata) wrapped.$metadata = e.$metadata;
    if (e?.$retryable) wrapped.$retryable = e.$retryable;
    return wrapped;
  }

  /** A HEAD on a key of a missing bucket is a bare 404 too: check the bucket once so that says so. */
  private async checkBucket(signal?: AbortSignal): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.client.send(
        new HeadBucketCommand({ Bucket: this.bucket }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404)
        throw new RemoteError(`remote '${this.name}': bucket '${this.bucket}' does not exist`);
      if (status === 403) {
        throw new RemoteError(
          `remote '${this.name}': access to bucket '${this.bucket}' denied (check credentials)`,
        );
      }
      throw this.safe(error, `checking bucket ${this.bucket}`);
    }
    this.bucketChecked = true;
  }

  async stat(
    oids: readonly string[],
    options: { jobs?: number; signal?: AbortSignal } = {},
  ): Promise<Map<string, number>> {
    await this.checkBucket(options.signal);
    const sizes = new Map<string, number>();
    if (oids.length > HEAD_LIMIT) {
      const wanted = new Map(oids.map((oid) => [this.keyOf(oid), oid]));
      const prefix = this.prefix === "" ? `${OBJECTS_PREFIX}/` : `${this.prefix}/${OBJECTS_PREFIX}/`;
      let token: string | undefined;
      do {
        this.requests.list++;
        let page: ListObjectsV2CommandOutput;
        try {
          page = await this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
            options.signal ? { abortSignal: options.signal } : {},
          );
        } catch (error) {
          throw this.safe(error, `listing ${this.displayUrl}`);
        }
        for (const item of page.Contents ?? []) {
          const oid = item.Key !== undefined ? wanted.get(item.Key) : undefined;
          if (oid !== undefined) sizes.set(oid, item.Size ?? 0);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return sizes;
    }
    let next = 0;
    const worker = async () => {
      while (next < oids.length) {
        const oid = oids[next++] as string;
        this.requests.head++;
        try {
          const head = await this.client.send(
            new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(oid) }),
            options.signal ? { abortSignal: options.signal } : {},
          );
          sizes.set(oid, head.ContentLength ?? 0);
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 404 || (error as { name?: string }).name === "NotFound") continue;
          throw this.safe(error, `checking ${oid} on ${this.displayUrl}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 16, oids.length)) }, worker));
    return sizes;
  }

  async put(oid: string, localPath: string, options: PutOptions): Promise<void> {
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        options.onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    const body = createReadStream(localPath).pipe(count);
    this.requests.put++;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(oid),
          Body: body,
          ContentLength: options.size,
          ContentMD5: Buffer.from(options.md5, "hex").toString("base64"),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      body.destroy();
      throw this.safe(error, `uploading ${oid} to ${this.displayUrl}`);
    }
  }

  async get(oid: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    this.requests.get++;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(oid) }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      const body = response.Body;
      if (body instanceof Readable) return body;
      if (body && typeof (body as { transformToByteArray?: unknown }).transformToByteArray === "function") {
        const bytes = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
        return Readable.from([Buffer.from(bytes)]);
      }
      return Readable.from([]);
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404)
        throw new ObjectMissingError(oid, this.name);
      throw this.safe(error, `downloading ${oid} from ${this.displayUrl}`);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
