/**
 * Names that reach generated code. Nothing from a model file is printed as it is: identifiers
 * are rebuilt from a safe alphabet, and text for comments is reduced to characters that cannot
 * close or break a comment.
 */
const C_KEYWORDS = new Set(("auto break case char const continue default do double else enum extern float for goto if inline int long " +
  "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while _Bool _Complex _Imaginary " +
  "main NULL size_t").split(" "));

/** A C identifier for a model name: letters and digits kept, anything else as _xx hex, never a keyword. */
export function cIdent(name: string): string {
  let out = "";
  for (const ch of name) out += /[A-Za-z0-9]/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}`;
  if (!/^[A-Za-z]/.test(out)) out = `x${out}`;
  if (C_KEYWORDS.has(out) || /^lift_/i.test(out) || /^__/.test(out)) out = `m_${out}`;
  return out;
}

/** Distinct C identifiers for a list of model names. */
export function cIdents(names: string[]): Map<string, string> {
  const used = new Set<string>();
  const m = new Map<string, string>();
  for (const n of names) {
    let id = cIdent(n);
    for (let k = 2; used.has(id); k++) id = `${cIdent(n)}_${k}`;
    used.add(id);
    m.set(n, id);
  }
  return m;
}

/** Text safe inside a C comment: printable ASCII without `*` `/` `\`; the rest as `?`. */
export function commentText(s: string): string {
  return s.replace(/[^ -~]|[*/\\]/g, "?").slice(0, 200);
}
