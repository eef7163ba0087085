/**
 * `lift web --serve DIR`: the files of DIR over HTTP on 127.0.0.1 only, with the headers that
 * make the page cross-origin isolated (COOP/COEP: SharedArrayBuffer for wasm threads needs them).
 * Only regular files inside DIR are served; anything else is 404.
 */
import { createServer, type Server } from "node:http";
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".png": "image/png",
  ".u8": "application/octet-stream",
};

export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Starts serving; resolves once listening (port 0 picks a free one: read it from the result). */
export async function serveDir(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const root = await realpath(dir);
  const server = createServer(async (req, res) => {
    const send = (code: number, body: string | Buffer, type = "text/plain; charset=utf-8") => {
      res.writeHead(code, { "Content-Type": type, "Cache-Control": "no-store", ...ISOLATION_HEADERS });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    try {
      let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      if (path.endsWith("/")) path += "index.html";
      const file = await realpath(join(root, path));
      if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) return send(404, "not found\n");
      send(200, await readFile(file), TYPES[extname(file)] ?? "application/octet-stream");
    } catch {
      send(404, "not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const addr = server.address();
  return { server, url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : port}/` };
}
