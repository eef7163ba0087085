/** `lift web --serve`: files of the directory only, with COOP/COEP and the right types. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveDir } from "../../src/web/serve.js";

/** A raw GET (the path is sent as given, so `..` is not normalised away by a URL parser). */
function get(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on("error", reject)
      .end();
  });
}

test("serves files of DIR on 127.0.0.1 with COOP/COEP; nothing outside DIR", async () => {
  const root = mkdtempSync(join(tmpdir(), "lift-serve-"));
  mkdirSync(join(root, "site"));
  writeFileSync(join(root, "site", "index.html"), "<p>hi</p>");
  writeFileSync(join(root, "site", "m.wasm"), "\0asm");
  writeFileSync(join(root, "secret.txt"), "no");
  const { server, url } = await serveDir(join(root, "site"), 0);
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(url, "/");
    assert.equal(index.status, 200);
    assert.equal(index.body, "<p>hi</p>");
    assert.equal(index.headers["cross-origin-opener-policy"], "same-origin");
    assert.equal(index.headers["cross-origin-embedder-policy"], "require-corp");
    assert.equal((await get(url, "/m.wasm")).headers["content-type"], "application/wasm");
    assert.equal((await get(url, "/../secret.txt")).status, 404);
    assert.equal((await get(url, "/%2e%2e/secret.txt")).status, 404);
    assert.equal((await get(url, "/nothing.js")).status, 404);
  } finally {
    server.close();
  }
});
