// HuggingFaceRegistry against a local Hub stand-in: repo created when missing, one commit per publication
// with weights through LFS, scores.json and the model card; versions read back; HF_TOKEN never shown.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type FakeHub, startFakeHub } from "./fake-hub-server.ts";
import { HubTokenError, HuggingFaceRegistry, hubTokenFromEnv } from "./huggingface.ts";
import { modelScores, tempDir, writeModelDir } from "./model-fixture.ts";
import { publishModels } from "./policy.ts";
import { parseScoresFile } from "./scores.ts";

const evaluation = { split: "test", dataset: { name: "ocrflow-synthetic-ru-en", size: 2000 } };
let hub: FakeHub;

beforeEach(async () => {
  hub = await startFakeHub();
});
afterEach(async () => {
  await hub.close();
});

function registry(overrides: Partial<ConstructorParameters<typeof HuggingFaceRegistry>[0]> = {}) {
  return new HuggingFaceRegistry({
    repoId: "acme/ocrflow-{model}-{size}",
    private: true,
    hubUrl: `${hub.url}/`,
    license: "mit",
    token: hub.token,
    now: () => new Date("2026-01-02T03:04:05.000Z"),
    ...overrides,
  });
}

describe("HuggingFaceRegistry", () => {
  it("creates the repo, then commits model files, LFS weights, scores.json and the card in one commit", async () => {
    const dir = writeModelDir(join(tempDir(), "m"), 1);
    const reg = registry();
    expect(reg.locate(modelScores())).toBe(`${hub.url}/acme/ocrflow-parseq-tiny`);
    expect(await reg.latest(modelScores())).toBeNull();

    const published = await reg.publish({ model: modelScores(), evaluation, dir, note: "trained at abc123" });
    expect(hub.violations).toEqual([]);
    const repo = hub.repos.get("acme/ocrflow-parseq-tiny");
    expect(repo).toMatchObject({ private: true, license: "mit" });

    expect(hub.commits).toHaveLength(1);
    const [commit] = hub.commits;
    expect(commit?.summary).toBe("Publish parseq-tiny v1");
    expect(commit?.description).toContain("exact match 0.93, CER 0.012 (test)");
    expect(commit?.description).toContain("trained at abc123");
    expect(published.location).toBe(`${hub.url}/acme/ocrflow-parseq-tiny/commit/${commit?.oid}`);
    const kinds = Object.fromEntries(
      commit?.lines.slice(1).map((l) => [(l.value as { path: string }).path, l.key]) ?? [],
    );
    expect(kinds).toEqual({
      "charset.json": "file",
      "config.json": "file",
      "group1-shard1of1.bin": "lfsFile",
      "model.json": "file",
      "scores.json": "file",
      "README.md": "file",
    });
    // The weights travelled through the LFS PUT, byte for byte, and nothing else did.
    const weights = readFileSync(join(dir, "group1-shard1of1.bin"));
    expect([...hub.lfsObjects.values()].map((b) => b.equals(weights))).toEqual([true]);
    expect(repo?.files.get("group1-shard1of1.bin")?.equals(weights)).toBe(true);
    expect(repo?.lfsPaths).toEqual(new Set(["group1-shard1of1.bin"]));

    const card = repo?.files.get("README.md")?.toString("utf8") ?? "";
    const front = parse(/^---\n([\s\S]*?)\n---\n/.exec(card)?.[1] ?? "") as Record<string, unknown>;
    expect(front).toMatchObject({
      license: "mit",
      library_name: "tfjs",
      datasets: ["ocrflow-synthetic-ru-en"],
    });
    expect(front["model-index"]).toMatchObject([
      {
        name: "parseq-tiny",
        results: [
          {
            metrics: expect.arrayContaining([
              { type: "exact_match", value: 0.93, name: "Exact match (test)", verified: false },
            ]),
          },
        ],
      },
    ]);
    const scores = parseScoresFile(repo?.files.get("scores.json")?.toString("utf8") ?? "");
    expect(scores.publication).toMatchObject({ name: "parseq-tiny", version: 1 });
  });

  it("publishes the next version into the existing repo and reads the newest back", async () => {
    const root = tempDir();
    const reg = registry();
    await reg.publish({ model: modelScores(), evaluation, dir: writeModelDir(join(root, "a"), 1) });
    const creates = () => hub.requests.filter((r) => r.path === "/api/repos/create").length;
    expect(creates()).toBe(1);
    const second = await reg.publish({
      model: modelScores({ exact_match: 0.96 }),
      evaluation,
      dir: writeModelDir(join(root, "b"), 2),
    });
    expect(creates()).toBe(1);
    expect(second.publication.version).toBe(2);
    expect(hub.commits.map((c) => c.summary)).toEqual(["Publish parseq-tiny v1", "Publish parseq-tiny v2"]);
    const latest = await reg.latest(modelScores());
    expect(latest?.publication).toEqual(second.publication);
    expect(latest?.scores.exact_match).toBe(0.96);
    expect(hub.violations).toEqual([]);
  });

  it("sends the token only as a Bearer header to the Hub, never to the LFS upload URL", async () => {
    await registry().publish({
      model: modelScores(),
      evaluation,
      dir: writeModelDir(join(tempDir(), "m"), 1),
    });
    for (const request of hub.requests) {
      expect(request.body.includes(hub.token)).toBe(false);
      if (request.path.startsWith("/lfs-upload/")) expect(request.headers.authorization).toBeUndefined();
      else expect(request.headers.authorization).toBe(`Bearer ${hub.token}`);
    }
  });

  it("redacts the token from errors, even when the server echoes it", async () => {
    const reg = registry();
    hub.failNext(/\/commit\/main$/, 500, { error: `token ${hub.token} is not allowed to write` });
    const error = await reg
      .publish({ model: modelScores(), evaluation, dir: writeModelDir(join(tempDir(), "m"), 1) })
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toContain("token <redacted> is not allowed to write");
    expect(`${error?.message}\n${error?.stack}\n${inspect(error)}`).not.toContain(hub.token);
    expect(JSON.stringify(reg)).not.toContain(hub.token);
    expect(inspect(reg)).not.toContain(hub.token);
  });

  it("never publishes two models into one repo", async () => {
    const root = tempDir();
    writeModelDir(join(root, "trained/parseq-tiny"), 1);
    writeModelDir(join(root, "trained/parseq-tiny-b"), 2);
    const outcomes = await publishModels(
      registry({ repoId: "acme/ocrflow-{model}" }),
      {
        split: "test",
        models: [modelScores(), modelScores({ name: "parseq-tiny-b", dir: "trained/parseq-tiny-b" })],
      },
      { thresholds: { exact_match: 0, cer: 1 }, force: false, root },
    );
    expect(outcomes.map((o) => o.action)).toEqual(["published", "failed"]);
    expect(outcomes[1]?.reason).toBe(
      `parseq-tiny-b would be published to ${hub.url}/acme/ocrflow-parseq too, where parseq-tiny goes`,
    );
    expect(hub.commits).toHaveLength(1);
  });

  it("refuses a repo template that makes no Hub repo id", () => {
    expect(() => registry({ repoId: "acme/{model}/{size}" }).repoIdFor(modelScores())).toThrow(
      /not a Hub repo id/,
    );
  });
});

describe("hubTokenFromEnv", () => {
  it("explains a missing or malformed token without quoting it", () => {
    expect(() => hubTokenFromEnv({})).toThrow(HubTokenError);
    expect(() => hubTokenFromEnv({})).toThrow(/HF_TOKEN is not set/);
    let message = "";
    try {
      hubTokenFromEnv({ HF_TOKEN: "secretvalue123" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/does not look like a Hub token/);
    expect(message).not.toContain("secretvalue123");
    expect(hubTokenFromEnv({ HF_TOKEN: " hf_abc \n" })).toBe("hf_abc");
  });
});
