// Where ClearML settings come from: environment variables (CLEARML_* and legacy TRAINS_*) over clearml.conf.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearmlEnvConfigured, guessWebServer, loadClearMLSettings, redact } from "./clearml-config.ts";

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "ocrflow-clearml-conf-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const CONF = `api {
  web_server: https://app.clear.example
  api_server: https://api.clear.example
  files_server: https://files.clear.example
  credentials { access_key: "CONFKEY", secret_key: "CONFSECRET" }
}`;

describe("loadClearMLSettings", () => {
  it("reads ~/clearml.conf when no variable is set", () => {
    writeFileSync(join(home, "clearml.conf"), CONF);
    const { settings, problems } = loadClearMLSettings({}, home);
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({
      apiServer: "https://api.clear.example",
      webServer: "https://app.clear.example",
      filesServer: "https://files.clear.example",
      accessKey: "CONFKEY",
      secretKey: "CONFSECRET",
      source: join(home, "clearml.conf"),
    });
  });

  it("reads CLEARML_CONFIG_FILE, and lets each CLEARML_* variable override its key", () => {
    const file = join(home, "other.conf");
    writeFileSync(file, CONF);
    const { settings } = loadClearMLSettings(
      {
        CLEARML_CONFIG_FILE: file,
        CLEARML_API_HOST: "http://127.0.0.1:8008/",
        CLEARML_API_SECRET_KEY: "ENVSECRET",
      },
      home,
    );
    expect(settings).toMatchObject({
      apiServer: "http://127.0.0.1:8008",
      webServer: "https://app.clear.example",
      accessKey: "CONFKEY",
      secretKey: "ENVSECRET",
    });
  });

  it("accepts the legacy TRAINS_* names and guesses the web app from the API address", () => {
    const env = {
      TRAINS_API_HOST: "http://srv:8008",
      TRAINS_API_ACCESS_KEY: "K",
      TRAINS_API_SECRET_KEY: "S",
    };
    expect(clearmlEnvConfigured(env)).toBe(true);
    const { settings } = loadClearMLSettings(env, home);
    expect(settings).toMatchObject({
      apiServer: "http://srv:8008",
      webServer: "http://srv:8080",
      accessKey: "K",
    });
    expect(guessWebServer("https://api.clear.ml")).toBe("https://app.clear.ml");
  });

  it("says what is missing, naming no secret", () => {
    const { settings, problems } = loadClearMLSettings({ CLEARML_API_HOST: "http://x:8008" }, home);
    expect(settings).toBeUndefined();
    expect(problems.join("\n")).toMatch(/no ClearML credentials/);
    expect(clearmlEnvConfigured({ CLEARML_API_HOST: "http://x:8008", CLEARML_API_ACCESS_KEY: "K" })).toBe(
      false,
    );
    expect(clearmlEnvConfigured({ CLEARML_API_HOST: "http://x:8008", CLEARML_AUTH_TOKEN: "T" })).toBe(true);
  });

  it("reports a broken clearml.conf by position, without its values", () => {
    writeFileSync(join(home, "clearml.conf"), 'api {\n  credentials { secret_key: "TOPSECRET" \n');
    const { settings, problems } = loadClearMLSettings({}, home);
    expect(settings).toBeUndefined();
    expect(problems[0]).toMatch(/clearml\.conf:\d+:\d+ missing "}"/);
    expect(problems.join("\n")).not.toContain("TOPSECRET");
  });
});

describe("redact", () => {
  it("replaces every occurrence of every secret", () => {
    expect(redact("a KEY1 b SEC2 KEY1", ["KEY1", "SEC2"])).toBe("a <redacted> b <redacted> <redacted>");
  });
});
