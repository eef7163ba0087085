/**
 * Reading a compiled file's source map (v3, as tsc writes it beside the .js) to turn a stack
 * frame's position into the TypeScript position, without relying on Node's --enable-source-maps.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes one segment's base64 VLQ fields. */
function vlq(seg: string): number[] {
  const out: number[] = [];
  let value = 0,
    shift = 0;
  for (const ch of seg) {
    const d = B64.indexOf(ch);
    value += (d & 31) << shift;
    if (d & 32) {
      shift += 5;
      continue;
    }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return out;
}

interface Segment {
  col: number;
  src: number;
  line: number;
  srcCol: number;
}
const maps = new Map<string, { sources: string[]; lines: Segment[][] } | null>();

function mapOf(js: string): { sources: string[]; lines: Segment[][] } | null {
  if (maps.has(js)) return maps.get(js)!;
  let m: { sources: string[]; lines: Segment[][] } | null = null;
  const file = `${js}.map`;
  if (existsSync(file)) {
    const raw = JSON.parse(readFileSync(file, "utf8")) as { sources: string[]; sourceRoot?: string; mappings: string };
    const base = resolve(dirname(js), raw.sourceRoot ?? "");
    let src = 0,
      line = 0,
      srcCol = 0;
    const lines = raw.mappings.split(";").map((l) => {
      let col = 0;
      return l
        .split(",")
        .filter(Boolean)
        .map((s) => {
          const f = vlq(s);
          col += f[0]!;
          if (f.length >= 4) {
            src += f[1]!;
            line += f[2]!;
            srcCol += f[3]!;
          }
          return { col, src, line, srcCol };
        });
    });
    m = { sources: raw.sources.map((s) => resolve(base, s)), lines };
  }
  maps.set(js, m);
  return m;
}

/** The original position of 1-based (line, col) in compiled file `js`, or the position itself. */
export function original(js: string, line: number, col: number): { path: string; line: number; col: number } {
  const m = js.endsWith(".js") ? mapOf(js) : null;
  const segs = m?.lines[line - 1];
  if (!m || !segs?.length) return { path: js, line, col };
  let best = segs[0]!;
  for (const s of segs) if (s.col <= col - 1) best = s;
  return { path: m.sources[best.src]!, line: best.line + 1, col: best.srcCol + 1 + Math.max(0, col - 1 - best.col) };
}
