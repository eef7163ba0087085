/**
 * Plain data (numbers, strings, booleans, lists, records) as one line of text and back, for the
 * parts of an IR that are records rather than syntax (a kernel plan): `{form: axpy, iters:
 * [{name: i0, extent: 8, role: r}], chunk: {iter: i2, size: 64}}`. Generic over the fields, so a
 * plan that gains a field prints and re-parses without a change here. A string is written bare
 * when it is a name (`axpy`, `s0`), else as a JSON string; a record's undefined fields are left out.
 */
import { numText, TextReader } from "./text_reader.js";

export type Data = number | string | boolean | Data[] | { [k: string]: Data | undefined };

const BARE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function dataText(v: Data): string {
  if (typeof v === "number") return numText(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string")
    return BARE.test(v) && v !== "true" && v !== "false" && v !== "inf" && v !== "nan" ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(dataText).join(", ")}]`;
  const fields = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{${fields.map(([k, x]) => `${BARE.test(k) ? k : JSON.stringify(k)}: ${dataText(x!)}`).join(", ")}}`;
}

export function parseData(r: TextReader): Data {
  if (r.eat("{")) {
    const o: { [k: string]: Data } = {};
    if (r.eat("}")) return o;
    do {
      const k = r.peek('"') ? quoted(r) : r.match(BARE_KEY, "a field name");
      r.expect(":");
      o[k] = parseData(r);
    } while (r.eat(","));
    r.expect("}");
    return o;
  }
  if (r.eat("[")) {
    const a: Data[] = [];
    if (r.eat("]")) return a;
    do a.push(parseData(r));
    while (r.eat(","));
    r.expect("]");
    return a;
  }
  if (r.peek('"')) return quoted(r);
  r.spaces();
  if (/[-0-9]/.test(r.text[r.pos] ?? "")) return r.num();
  const w = r.match(BARE_KEY, "a value");
  return w === "true" ? true : w === "false" ? false : w === "inf" ? Infinity : w === "nan" ? NaN : w;
}

const BARE_KEY = /[A-Za-z_][A-Za-z0-9_.]*/;

function quoted(r: TextReader): string {
  const start = r.pos;
  const t = r.match(/"(?:[^"\\]|\\.)*"/, "a string");
  try {
    return JSON.parse(t) as string;
  } catch {
    return r.fail("a malformed string", start);
  }
}
