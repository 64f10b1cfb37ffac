// publishModels: thresholds, "worse than published → kept out unless forced", unchanged models not
// republished, and one model's failure not stopping the others.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalRegistry } from "./local.ts";
import { modelScores, scoresFile, tempDir, writeModelDir } from "./model-fixture.ts";
import { publishModels } from "./policy.ts";
import type { ModelRef, ModelRegistry, PublishedModel, PublishRequest } from "./registry.ts";

const thresholds = { exact_match: 0.9, cer: 0.05 };

function setup() {
  const root = tempDir();
  writeModelDir(join(root, "trained/parseq-tiny"), 1);
  writeModelDir(join(root, "trained/master-tiny"), 2);
  const registry = new LocalRegistry(join(root, "registry"), { license: "mit" });
  return { root, registry };
}

describe("publishModels", () => {
  it("publishes the models that pass the thresholds and says why the others stay out", async () => {
    const { root, registry } = setup();
    const lines: string[] = [];
    const outcomes = await publishModels(
      registry,
      scoresFile([
        modelScores(),
        modelScores({
          name: "master-tiny",
          architecture: "master",
          dir: "trained/master-tiny",
          exact_match: 0.7,
        }),
      ]),
      { thresholds, force: false, root, log: (l) => lines.push(l) },
    );
    expect(outcomes.map((o) => [o.name, o.action, o.version])).toEqual([
      ["parseq-tiny", "published", 1],
      ["master-tiny", "below-thresholds", null],
    ]);
    expect(outcomes[1]?.reason).toBe("exact match 0.7 < 0.9");
    expect(await registry.latest({ name: "master-tiny", architecture: "master" })).toBeNull();
    expect(lines[0]).toMatch(/^parseq-tiny: published v1 — first version \(/);
  });

  it("keeps a worse model out unless forced, and publishes a better one", async () => {
    const { root, registry } = setup();
    await publishModels(registry, scoresFile([modelScores()]), { thresholds, force: false, root });
    writeModelDir(join(root, "trained/parseq-tiny"), 3); // retrained: new weights

    const worse = scoresFile([modelScores({ exact_match: 0.91 })]);
    const [kept] = await publishModels(registry, worse, { thresholds, force: false, root });
    expect(kept).toMatchObject({ action: "worse-than-published", version: 1 });
    expect(kept?.reason).toContain("worse than v1's 0.93 / 0.012");
    expect(registry.versions(modelScores())).toHaveLength(1);

    const [forced] = await publishModels(registry, worse, { thresholds, force: true, root });
    expect(forced).toMatchObject({ action: "published", version: 2, reason: "forced over v1" });

    writeModelDir(join(root, "trained/parseq-tiny"), 4);
    const sameExactLowerCer = scoresFile([modelScores({ exact_match: 0.91, cer: 0.01 })]);
    const [better] = await publishModels(registry, sameExactLowerCer, { thresholds, force: false, root });
    expect(better).toMatchObject({ action: "published", version: 3, reason: "not worse than v2" });
  });

  it("does not publish the same files twice, forced or not", async () => {
    const { root, registry } = setup();
    const scores = scoresFile([modelScores()]);
    await publishModels(registry, scores, { thresholds, force: false, root });
    const [again] = await publishModels(registry, scores, { thresholds, force: true, root });
    expect(again).toMatchObject({ action: "unchanged", version: 1 });
    expect(registry.versions(modelScores())).toHaveLength(1);
  });

  it("publishes nothing in a dry run", async () => {
    const { root, registry } = setup();
    const [outcome] = await publishModels(registry, scoresFile([modelScores()]), {
      thresholds,
      force: false,
      root,
      dryRun: true,
    });
    expect(outcome).toMatchObject({ action: "published", version: null, reason: "first version (dry run)" });
    expect(await registry.latest(modelScores())).toBeNull();
  });

  it("reports a failing model and goes on with the next", async () => {
    const { root } = setup();
    const published: string[] = [];
    const flaky: ModelRegistry = {
      kind: "local",
      locate: (m: ModelRef) => m.name,
      latest: async (m: ModelRef) => {
        if (m.name === "parseq-tiny") throw new Error("registry unreachable");
        return null;
      },
      publish: async (r: PublishRequest): Promise<PublishedModel> => {
        published.push(r.model.name);
        return {
          publication: { name: r.model.name, version: 1, digest: "", published_at: "" },
          scores: r.model,
          location: "x",
        };
      },
    };
    const outcomes = await publishModels(
      flaky,
      scoresFile([
        modelScores(),
        modelScores({ name: "master-tiny", architecture: "master", dir: "trained/master-tiny" }),
      ]),
      { thresholds, force: false, root },
    );
    expect(outcomes.map((o) => [o.name, o.action, o.reason])).toEqual([
      ["parseq-tiny", "failed", "registry unreachable"],
      ["master-tiny", "published", "first version"],
    ]);
    expect(published).toEqual(["master-tiny"]);
  });
});
