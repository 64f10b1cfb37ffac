// .dvc/config parsing and editing (configobj as DVC writes it), remote resolution, unsupported remotes and
// secret redaction.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigObjFile, loadDvcConfig, remoteSection, urlForConfig } from "./dvc-config.ts";
import { openRemote, redact, resolveRemoteConfig } from "./remote.ts";
import { S3Remote } from "./s3-remote.ts";

function repoWith(config: string, local?: string): string {
  const root = mkdtempSync(join(tmpdir(), "ocrflow-config-"));
  mkdirSync(join(root, ".dvc"));
  writeFileSync(join(root, ".dvc/config"), config);
  if (local !== undefined) writeFileSync(join(root, ".dvc/config.local"), local);
  return root;
}

const DVC_WRITTEN = `[core]
    remote = storage
    autostage = true
# the team bucket
['remote "storage"']
    url = s3://ocr-data/dvc
    endpointurl = http://127.0.0.1:9000
['remote "backup"']
    url = ../../backup # a folder beside the repo
['remote "drive"']
    url = gdrive://1AbCdEf
    gdrive_use_service_account = true
`;

describe(".dvc/config", () => {
  it("reads core.remote and every remote, merging config.local over config key by key", () => {
    const root = repoWith(
      DVC_WRITTEN,
      `['remote "storage"']\n    access_key_id = AKIAEXAMPLE\n    secret_access_key = "s3cr3t/with#hash"\n`,
    );
    const config = loadDvcConfig(root);
    expect(config.defaultRemote).toBe("storage");
    expect([...config.remotes.keys()]).toEqual(["storage", "backup", "drive"]);
    expect(config.remotes.get("storage")?.options).toEqual({
      endpointurl: "http://127.0.0.1:9000",
      access_key_id: "AKIAEXAMPLE",
      secret_access_key: "s3cr3t/with#hash",
    });
  });

  it("resolves a relative local URL against .dvc/, and stores a typed one relative to .dvc/ as DVC does", () => {
    const root = repoWith(DVC_WRITTEN);
    expect(loadDvcConfig(root).remotes.get("backup")?.url).toBe(join(root, "..", "backup"));
    expect(urlForConfig(root, "../store", root)).toBe("../../store");
    expect(urlForConfig(root, "/abs/store", root)).toBe("/abs/store");
    expect(urlForConfig(root, "s3://b/p", root)).toBe("s3://b/p");
  });

  it("edits in place: comments and other sections stay, new sections use configobj's quoting", () => {
    const root = repoWith(DVC_WRITTEN);
    const file = ConfigObjFile.load(join(root, ".dvc/config"));
    file.set(remoteSection("storage"), "region", "eu-west-1");
    file.set(remoteSection("new one"), "url", "/tmp/x");
    file.unset("core", "autostage");
    file.save();
    const text = readFileSync(join(root, ".dvc/config"), "utf8");
    expect(text).toContain("# the team bucket\n['remote \"storage\"']\n    url = s3://ocr-data/dvc\n");
    expect(text).toContain("    endpointurl = http://127.0.0.1:9000\n    region = eu-west-1\n");
    expect(text).toContain("    url = ../../backup # a folder beside the repo\n");
    expect(text.endsWith(`['remote "new one"']\n    url = /tmp/x\n`)).toBe(true);
    expect(text).not.toContain("autostage");
    expect(ConfigObjFile.parse(text, "x").get(remoteSection("new one"), "url")).toBe("/tmp/x");
  });

  it("reports a malformed line with file:line", () => {
    const root = repoWith("[core]\n    remote = a\nnot a key line\n");
    expect(() => loadDvcConfig(root)).toThrow(/config:3: cannot parse/);
  });

  it("gives a clear error for gdrive remotes, unknown schemes and a missing default", async () => {
    const root = repoWith(DVC_WRITTEN);
    const config = loadDvcConfig(root);
    await expect(openRemote(resolveRemoteConfig(config, "drive"))).rejects.toThrow(
      /Google Drive remotes \(gdrive:\/\/\) are not supported yet/,
    );
    await expect(openRemote({ name: "x", url: "ssh://host/p", options: {} })).rejects.toThrow(
      /'ssh:\/\/' remotes are not supported/,
    );
    expect(() => resolveRemoteConfig(loadDvcConfig(repoWith("")))).toThrow(/no default remote set/);
    expect(() => resolveRemoteConfig(config, "nope")).toThrow(/known: storage, backup, drive/);
  });

  it("never lets a secret through: redaction and S3 config errors", () => {
    expect(redact("denied for AKIAEXAMPLE using s3cr3t", ["AKIAEXAMPLE", "s3cr3t"])).toBe(
      "denied for *** using ***",
    );
    let message = "";
    try {
      S3Remote.fromConfig(
        { name: "s", url: "s3://b/p", options: { secret_access_key: "topsecret-value" } },
        {},
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/set both access_key_id and secret_access_key/);
    expect(message).not.toContain("topsecret-value");
  });
});
