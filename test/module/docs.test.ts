/**
 * The complete examples of docs/modules.md, docs/externs.md and docs/builder.md run as written
 * (with `"lift"` resolved to this build) and print exactly the output the page shows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const API = pathToFileURL(join(process.cwd(), "dist", "src", "api", "index.js")).href;

/** Each ```js block of the page that is followed by a plain ``` block: the script and what it prints. */
export function examples(page: string): { code: string; output: string }[] {
  const out: { code: string; output: string }[] = [];
  const re = /```js\n([\s\S]*?)```\n```\n([\s\S]*?)```/g;
  for (let m; (m = re.exec(page));) out.push({ code: m[1]!, output: m[2]! });
  return out;
}

for (const doc of ["modules", "externs", "builder"]) {
  const file = join(process.cwd(), "docs", `${doc}.md`);
  test(`docs/${doc}.md: the complete example prints what the page shows`, () => {
    const cases = examples(readFileSync(file, "utf8"));
    assert.ok(cases.length >= 1, "the page has a runnable example with its output");
    for (const c of cases) {
      const dir = mkdtempSync(join(tmpdir(), `lift-doc-${doc}-`));
      const script = join(dir, "example.mjs");
      writeFileSync(
        script,
        c.code.replace(
          /from "lift(\/[\w/]+)?"/g,
          (_, sub: string | undefined) => `from "${sub ? API.replace("api/index.js", `${sub.slice(1)}.js`) : API}"`,
        ),
      );
      const r = spawnSync(process.execPath, [script], { encoding: "utf8", cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, c.output);
    }
  });
}
