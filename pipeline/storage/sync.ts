// The data commands as functions: push, fetch, pull and the cloud status of tracked outs, each out sent to
// its remote (`-r` > the out's `remote:` > core.remote), with one report per remote for the CLI to render.
import { createHash } from "node:crypto";
import { DvcIgnore } from "../hash.ts";
import { HashStateCache } from "../state.ts";
import { ObjectCache } from "./cache.ts";
import { type CheckoutResult, checkoutOuts } from "./checkout.ts";
import { loadDvcConfig, type RemoteConfig } from "./dvc-config.ts";
import { ObjectMissingError, openRemote, type Remote, RemoteError, resolveRemoteConfig } from "./remote.ts";
import { collectTrackedOuts, type TrackedOut } from "./tracked.ts";
import {
  defaultJobs,
  fetchObjects,
  isComplete,
  parseManifest,
  pushObjects,
  type TransferOptions,
  type TransferReport,
} from "./transfer.ts";

export interface DataOptions extends TransferOptions {
  root: string;
  /** See collectTrackedOuts; empty = everything tracked. */
  targets?: readonly string[];
  cwd?: string;
  /** `-r NAME`: use this remote for every out. */
  remote?: string;
  env?: NodeJS.ProcessEnv;
  /** Builds the remote for a config entry; tests inject failing or counting remotes here. */
  openRemote?: (config: RemoteConfig) => Promise<Remote>;
}

export interface SyncReport {
  reports: TransferReport[];
  /** For pull: what checkout did per out. */
  checkout?: CheckoutResult[];
  /** 2.x entries skipped (their objects live outside files/md5). */
  unsupported: string[];
  ok: boolean;
}

interface RemoteGroup {
  config: RemoteConfig;
  outs: TrackedOut[];
}

function groupByRemote(options: DataOptions, outs: readonly TrackedOut[]): RemoteGroup[] {
  const config = loadDvcConfig(options.root);
  const groups = new Map<string, RemoteGroup>();
  for (const out of outs) {
    if (!out.md5 || out.legacy) continue;
    const remote = resolveRemoteConfig(config, options.remote ?? out.remote);
    const group = groups.get(remote.name) ?? { config: remote, outs: [] };
    group.outs.push(out);
    groups.set(remote.name, group);
  }
  return [...groups.values()];
}

async function withRemote<T>(
  options: DataOptions,
  config: RemoteConfig,
  use: (r: Remote) => Promise<T>,
): Promise<T> {
  const remote = options.openRemote
    ? await options.openRemote(config)
    : await openRemote(config, options.env ? { env: options.env } : {});
  try {
    return await use(remote);
  } finally {
    remote.close();
  }
}

function selectOuts(options: DataOptions): TrackedOut[] {
  return collectTrackedOuts(options.root, options.targets ?? [], options.cwd ? { cwd: options.cwd } : {});
}

function unsupportedOf(outs: readonly TrackedOut[]): string[] {
  return outs.filter((o) => o.legacy).map((o) => `${o.path} (${o.source}: a DVC 2.x md5-dos2unix entry)`);
}

export async function push(options: DataOptions): Promise<SyncReport> {
  const outs = selectOuts(options).filter((o) => o.push);
  const cache = new ObjectCache(options.root);
  const reports: TransferReport[] = [];
  for (const group of groupByRemote(options, outs)) {
    reports.push(await withRemote(options, group.config, (r) => pushObjects(cache, r, group.outs, options)));
  }
  const unsupported = unsupportedOf(outs);
  return { reports, unsupported, ok: reports.every(isComplete) && unsupported.length === 0 };
}

export async function fetch(options: DataOptions): Promise<SyncReport> {
  const outs = selectOuts(options);
  return fetchOuts(options, outs);
}

async function fetchOuts(options: DataOptions, outs: TrackedOut[]): Promise<SyncReport> {
  const cache = new ObjectCache(options.root);
  const reports: TransferReport[] = [];
  for (const group of groupByRemote(options, outs)) {
    reports.push(await withRemote(options, group.config, (r) => fetchObjects(cache, r, group.outs, options)));
  }
  const unsupported = unsupportedOf(outs);
  return { reports, unsupported, ok: reports.every(isComplete) && unsupported.length === 0 };
}

/** fetch, then checkout of every out whose objects all arrived (the rest stay as they are). */
export async function pull(options: DataOptions & { force?: boolean }): Promise<SyncReport> {
  const outs = selectOuts(options);
  const fetched = await fetchOuts(options, outs);
  const checkout = await checkoutTracked(options.root, outs, options.force ? { force: true } : {});
  const ok =
    fetched.ok &&
    checkout.every(
      (c) => c.outcome === "unchanged" || c.outcome === "restored" || c.outcome === "not-committed",
    );
  return { ...fetched, checkout, ok };
}

export async function checkoutTracked(
  root: string,
  outs: readonly TrackedOut[],
  options: { force?: boolean } = {},
): Promise<CheckoutResult[]> {
  const state = HashStateCache.open(root);
  const results = await checkoutOuts(root, new ObjectCache(root), outs, {
    ...options,
    state,
    ignore: DvcIgnore.load(root),
  });
  state.save();
  return results;
}

export async function checkout(options: {
  root: string;
  targets?: readonly string[];
  cwd?: string;
  force?: boolean;
}) {
  const outs = collectTrackedOuts(
    options.root,
    options.targets ?? [],
    options.cwd ? { cwd: options.cwd } : {},
  );
  return checkoutTracked(options.root, outs, options.force ? { force: true } : {});
}

// ---------------------------------------------------------------------------------------------------------
// status -c

/** As `dvc status -c` names them: new = only in the cache, deleted = only on the remote, missing = neither. */
export type CloudState = "ok" | "new" | "deleted" | "missing";

export interface CloudStatusEntry {
  /** The tracked path, or `dir/relpath` for a file inside a tracked directory. */
  path: string;
  oid: string;
  state: CloudState;
  /** The tracked out it belongs to. */
  out: string;
}

export interface CloudStatusReport {
  remote: string;
  entries: CloudStatusEntry[];
}

/** Reads a manifest the cache lacks straight from the remote (verified), without storing it. */
async function remoteManifest(
  remote: Remote,
  oid: string,
): Promise<{ md5: string; relpath: string }[] | undefined> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await remote.get(oid)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (createHash("md5").update(bytes).digest("hex") !== oid.slice(0, -4)) return undefined;
    return parseManifest(bytes);
  } catch (error) {
    if (error instanceof ObjectMissingError) return undefined;
    throw error;
  }
}

export async function collectCloudStatus(options: DataOptions): Promise<CloudStatusReport[]> {
  const outs = selectOuts(options);
  const cache = new ObjectCache(options.root);
  const reports: CloudStatusReport[] = [];
  for (const group of groupByRemote(options, outs)) {
    reports.push(
      await withRemote(options, group.config, async (remote) => {
        const objects: Omit<CloudStatusEntry, "state">[] = [];
        for (const out of group.outs) {
          const md5 = out.md5 as string;
          objects.push({ path: out.path, oid: md5, out: out.path });
          if (!md5.endsWith(".dir")) continue;
          const manifest = cache.readManifest(md5) ?? (await remoteManifest(remote, md5));
          for (const e of manifest ?? [])
            objects.push({ path: `${out.path}/${e.relpath}`, oid: e.md5, out: out.path });
        }
        const onRemote = await remote.stat([...new Set(objects.map((o) => o.oid))], {
          jobs: options.jobs ?? defaultJobs(),
        });
        const entries = objects.map((o): CloudStatusEntry => {
          const local = cache.hasObject(o.oid);
          const there = onRemote.has(o.oid);
          const state: CloudState = local && there ? "ok" : local ? "new" : there ? "deleted" : "missing";
          return { ...o, state };
        });
        return { remote: remote.name, entries };
      }),
    );
  }
  return reports;
}

export { RemoteError };
