/**
 * Names that reach generated code. Nothing from a model file is printed as it is: identifiers
 * are rebuilt from a safe alphabet, and text for comments is reduced to characters that cannot
 * close or break a comment.
 *
 * The rule for a model name (documented for C users in `lift emit --help`):
 *  1. letters and digits are kept, `.` becomes `_` (`K1.next` → `K1_next`; model names cannot
 *     contain `_`, so this adds no collision), any other character becomes `_` and its hex code
 *     (`x-1` → `x_2d1`); a name that does not start with a letter gets an `x` in front;
 *  2. a result that is reserved gets a trailing `_` (`INFINITY` → `INFINITY_`, `int` → `int_`).
 *     Reserved: the keywords of C99, C11, C23 and C++, GNU's keywords, the macros and identifiers
 *     of the standard headers the generated code and drivers include (math, stddef, string,
 *     stdio, stdlib, stdint, stdbool, errno, limits, assert), names with a reserved prefix or
 *     suffix (`_X`, `__`, `lift_`/`LIFT_`, `E` + capital or digit, `is`/`to` + lower-case, a
 *     `_t` suffix), and the predefined macros of GNU modes (`linux`, `unix`, `i386`, …);
 *  3. names that still meet (`a.b` and `a_2eb` are impossible, but `int` and `int.` are not)
 *     get `_2`, `_3`, … in the order given.
 */
const WORDS = {
  c:
    "auto break case char const continue default do double else enum extern float for goto if inline int long register " +
    "restrict return short signed sizeof static struct switch typedef union unsigned void volatile while " +
    "alignas alignof bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual",
  cxx:
    "and and_eq asm bitand bitor catch char8_t char16_t char32_t class compl concept consteval constinit const_cast co_await " +
    "co_return co_yield decltype delete dynamic_cast explicit export friend mutable namespace new noexcept not not_eq operator " +
    "or or_eq private protected public reinterpret_cast requires static_cast template this throw try typeid typename using " +
    "virtual wchar_t xor xor_eq",
  gnu: "asm typeof inline",
  headers:
    "INFINITY NAN HUGE_VAL HUGE_VALF HUGE_VALL FP_NAN FP_INFINITE FP_ZERO FP_SUBNORMAL FP_NORMAL FP_FAST_FMA FP_FAST_FMAF " +
    "FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT math_errhandling M_E M_LOG2E M_LOG10E M_LN2 M_LN10 M_PI M_PI_2 M_PI_4 " +
    "M_1_PI M_2_PI M_2_SQRTPI M_SQRT2 M_SQRT1_2 fpclassify signbit " +
    "NULL offsetof EOF BUFSIZ FILENAME_MAX FOPEN_MAX TMP_MAX SEEK_SET SEEK_CUR SEEK_END stdin stdout stderr FILE " +
    "EXIT_SUCCESS EXIT_FAILURE RAND_MAX MB_CUR_MAX errno assert static_assert NDEBUG " +
    "CHAR_BIT CHAR_MAX CHAR_MIN SCHAR_MAX SCHAR_MIN UCHAR_MAX SHRT_MAX SHRT_MIN USHRT_MAX INT_MAX INT_MIN UINT_MAX " +
    "LONG_MAX LONG_MIN ULONG_MAX LLONG_MAX LLONG_MIN ULLONG_MAX MB_LEN_MAX SIZE_MAX PTRDIFF_MAX PTRDIFF_MIN " +
    "INTMAX_MAX UINTMAX_MAX WCHAR_MAX WCHAR_MIN WINT_MAX WINT_MIN SIG_ATOMIC_MAX " +
    "main exp expf log logf pow powf sqrt sqrtf fabs fmin fmax memcpy memset malloc calloc free exit abort printf " +
    "fprintf snprintf fopen fclose fread fwrite strcmp strlen atoi atol strtod strtol",
  predefined: "linux unix i386 i486 i586 i686 sun sparc mips vax arm pdp11",
};
const RESERVED = new Set(Object.values(WORDS).join(" ").split(" "));
/** Prefixes and suffixes the C standard, POSIX and LiFT itself reserve. */
const RESERVED_PATTERN = /^_[A-Z_]|^lift_|^LIFT_|^E[0-9A-Z]|^(is|to|str|mem|wcs)[a-z]|^(INT|UINT)[0-9A-Z]|_t$|^__/;

/** A C identifier for a model name (the rule above, steps 1 and 2). */
export function cIdent(name: string): string {
  let out = "";
  for (const ch of name) out += /[A-Za-z0-9]/.test(ch) ? ch : ch === "." ? "_" : `_${ch.codePointAt(0)!.toString(16)}`;
  if (!/^[A-Za-z]/.test(out)) out = `x${out}`;
  if (isReserved(out)) out += "_";
  return out;
}

export function isReserved(id: string): boolean {
  return RESERVED.has(id) || RESERVED_PATTERN.test(id);
}

/** A program name (`--name`) must not be a reserved word; its own prefix makes its symbols distinct. */
export const isReservedWord = (id: string): boolean => RESERVED.has(id);

/** Distinct C identifiers for a list of model names (step 3). */
export function cIdents(names: (string | [key: string, name: string])[]): Map<string, string> {
  const used = new Set<string>();
  const m = new Map<string, string>();
  for (const e of names) {
    const [key, n] = typeof e === "string" ? [e, e] : e;
    if (m.has(key)) continue;
    let id = cIdent(n);
    for (let k = 2; used.has(id); k++) id = `${cIdent(n)}_${k}`;
    used.add(id);
    m.set(key, id);
  }
  return m;
}

/** The reserved classes, with members, for tests and documentation. */
export const RESERVED_CLASSES: Record<string, string[]> = Object.fromEntries(
  Object.entries(WORDS).map(([k, v]) => [k, v.split(" ")]),
);

/** Text safe inside a C comment: printable ASCII without `*` `/` `\`; the rest as `?`. */
export function commentText(s: string): string {
  return s.replace(/[^ -~]|[*/\\]/g, "?").slice(0, 200);
}
