// Interpolation follows DVC: typed whole-string lookups, rendering inside strings, escapes, cmd flags.
import { describe, expect, it } from "vitest";
import { InterpolationError, interpolateString, interpolateValue, lookup } from "./interpolate.ts";

const ctx = {
  a: { b: [10, { c: "deep" }] },
  flag: true,
  name: "x",
  n: 3,
  opts: { lr: 0.1, fast: true, slow: false, layers: [1, 2] },
};

describe("interpolation", () => {
  it("keeps the type when the string is exactly one placeholder", () => {
    expect(interpolateString("${n}", ctx)).toBe(3);
    expect(interpolateString("${a.b}", ctx)).toEqual([10, { c: "deep" }]);
    expect(interpolateString("${flag}", ctx)).toBe(true);
  });
  it("renders values inside a longer string, booleans as true/false", () => {
    expect(interpolateString("run ${name} --n ${n} --f ${flag}", ctx)).toBe("run x --n 3 --f true");
  });
  it("supports dotted and indexed lookups", () => {
    expect(lookup(ctx, "a.b[1].c")).toBe("deep");
    expect(lookup(ctx, "a.b.0")).toBe(10);
  });
  it("leaves escaped placeholders literal", () => {
    expect(interpolateString("echo \\${name} ${name}", ctx)).toBe("echo ${name} x");
  });
  it("turns a dict into --key value flags inside cmd", () => {
    expect(interpolateString("train ${opts}", ctx, true)).toBe("train --lr 0.1 --fast --layers 1 2");
  });
  it("refuses to render a dict or list inside a string outside cmd", () => {
    expect(() => interpolateString("x ${opts}", ctx)).toThrow(InterpolationError);
  });
  it("names the missing key", () => {
    expect(() => interpolateString("${a.zz}", ctx)).toThrow("Could not find 'a.zz'");
  });
  it("interpolates nested structures", () => {
    expect(interpolateValue({ deps: ["data/${name}", { p: "${n}" }] }, ctx)).toEqual({
      deps: ["data/x", { p: 3 }],
    });
  });
  it("interpolates mapping keys, as outputs with flags need", () => {
    expect(interpolateValue([{ "m-${name}.json": { cache: false } }], ctx)).toEqual([
      { "m-x.json": { cache: false } },
    ]);
  });
});
