// scripts/check-functions.ts: which functions it lists as too long without a reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { longFunctions } from "../../scripts/check-functions.js";

const body = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join("\n");

test("check-functions: a function over the limit is listed with its line, name and length", () => {
  const text = `let x = 0;\nfunction short() {\n${body(3)}\n}\n\nfunction long() {\n${body(10)}\n}\n`;
  assert.deepEqual(longFunctions(text, "a.ts", 8), [{ file: "a.ts", line: 8, name: "long", lines: 12 }]);
});

test("check-functions: a `long:` reason above (in the doc comment or a line comment) or on the first line excuses it", () => {
  const fn = (name: string) => `function ${name}() {\n${body(10)}\n}\n`;
  const text = [
    "let x = 0;",
    "/**\n * A table, read top to bottom.\n * long: one case per primitive\n */",
    fn("doc"),
    "// long: the steps are one sequence",
    fn("line"),
    `function first() { // long: generated shape\n${body(10)}\n}\n`,
    "// a comment without the word",
    fn("plain"),
    "// long: this reason is for nothing (a blank line follows)\n",
    fn("detached"),
  ].join("\n");
  assert.deepEqual(
    longFunctions(text, "b.ts", 8).map((f) => f.name),
    ["plain", "detached"],
  );
});

test("check-functions: methods, arrows bound to names, and nested functions each count", () => {
  const text = [
    "let x = 0;",
    `class K {\n  method() {\n${body(10)}\n  }\n}`,
    `const arrow = () => {\n${body(10)}\n};`,
    `function outer() {\n  const inner = function () {\n${body(10)}\n  };\n  return inner;\n}`,
  ].join("\n");
  assert.deepEqual(
    longFunctions(text, "c.ts", 8).map((f) => `${f.name}@${f.line}:${f.lines}`),
    ["method@3:12", "arrow@16:12", "outer@28:15", "inner@29:12"],
  );
});
