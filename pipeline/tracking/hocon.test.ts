// The HOCON subset parser on clearml.conf as the SDK writes it, and on the syntax corners that file uses.
import { describe, expect, it } from "vitest";
import { HoconError, parseHocon } from "./hocon.ts";

const CLEARML_CONF = `# ClearML SDK configuration file
api {
    # Notice: 'host' is the api server (default port 8008), not the web server.
    web_server: http://localhost:8080
    api_server: http://localhost:8008 // the API
    files_server: "http://localhost:8081"
    # Credentials are generated using the webapp, http://localhost:8080/settings
    credentials {"access_key": "ABCDEFGH12345678", "secret_key": "abc/def+ghi=="}
    verify_certificate: true
}
sdk {
    storage.cache {
        default_base_dir: "~/.clearml/cache"
        size { min_free_bytes: 10GB }
    }
    aws { s3 { key: "", secret: "", credentials: [ { bucket: "b", key: "k" } ] } }
    development.worker { report_period_sec: 2, log_stdout: true }
}
`;

describe("parseHocon", () => {
  it("reads clearml.conf: blocks, JSON-style objects, unquoted URLs, comments, dotted keys, arrays", () => {
    const conf = parseHocon(CLEARML_CONF);
    expect(conf.api).toEqual({
      web_server: "http://localhost:8080",
      api_server: "http://localhost:8008",
      files_server: "http://localhost:8081",
      credentials: { access_key: "ABCDEFGH12345678", secret_key: "abc/def+ghi==" },
      verify_certificate: true,
    });
    expect(conf.sdk).toEqual({
      storage: { cache: { default_base_dir: "~/.clearml/cache", size: { min_free_bytes: "10GB" } } },
      aws: { s3: { key: "", secret: "", credentials: [{ bucket: "b", key: "k" }] } },
      development: { worker: { report_period_sec: 2, log_stdout: true } },
    });
  });

  it("accepts = and :, merges repeated blocks, lets later values win, and reads a braced root", () => {
    expect(parseHocon("{ a = 1\n a.b = 2 }")).toEqual({ a: { b: 2 } });
    expect(parseHocon("a { x: 1 }\na { y: 2 }\na.x = 3")).toEqual({ a: { x: 3, y: 2 } });
    expect(parseHocon('n = -1.5e3, s = "q\\"uote", t = two words here, u = null')).toEqual({
      n: -1500,
      s: 'q"uote',
      t: "two words here",
      u: null,
    });
    expect(parseHocon('m = """line1\nline2"""')).toEqual({ m: "line1\nline2" });
    expect(parseHocon('"dotted.key" = 1')).toEqual({ "dotted.key": 1 });
  });

  it("substitutes ${VAR} from the document, then the environment; ${?VAR} may be missing", () => {
    const env = { CLEARML_KEY: "from-env", HOME: "/home/u" };
    expect(
      parseHocon(
        "base = /data\npath = ${base}/cache\nkey = ${?CLEARML_KEY}\ngone = ${?NOPE}\ndir = ${HOME}/x",
        {
          env,
        },
      ),
    ).toEqual({ base: "/data", path: "/data/cache", key: "from-env", dir: "/home/u/x" });
    expect(parseHocon("a = 1\na = ${?NOPE}")).toEqual({ a: 1 });
  });

  it("reports syntax errors with file, line and column", () => {
    expect(() => parseHocon("a {\n  b: 1\n", { file: "clearml.conf" })).toThrow(HoconError);
    expect(() => parseHocon("a {\n  b: 1\n", { file: "clearml.conf" })).toThrow(
      /^clearml\.conf:3:1 missing "}"/,
    );
    expect(() => parseHocon("a: ${MISSING}")).toThrow(/1:4 \$\{MISSING\} is not defined/);
    expect(() => parseHocon('include "other.conf"')).toThrow(/include is not supported/);
    expect(() => parseHocon("a: [1, 2")).toThrow(/missing "\]"/);
  });
});
