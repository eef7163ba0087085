/** A source text with its name; spans point into it. Several files may form one program. */
export class SourceFile {
  readonly lineStarts: number[] = [0];
  readonly text: string;
  constructor(
    readonly name: string,
    text: string,
  ) {
    // A UTF-8 byte-order mark (editors on Windows write one) says nothing about the program.
    this.text = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    text = this.text;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  /** 1-based line and column of an offset; columns count code points, so 😀 is one column. */
  position(offset: number): { line: number; col: number } {
    let lo = 0,
      hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.lineStarts[lo]!;
    const end = this.lowHalf(offset) ? offset - 1 : offset;
    let col = 1;
    for (let i = start; i < end; i++) if (!this.lowHalf(i)) col++;
    return { line: lo + 1, col };
  }
  /** Whether offset `i` is the second half of a surrogate pair (not a character of its own). */
  private lowHalf(i: number): boolean {
    const c = this.text.charCodeAt(i),
      p = this.text.charCodeAt(i - 1);
    return c >= 0xdc00 && c <= 0xdfff && p >= 0xd800 && p <= 0xdbff;
  }
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const end = line < this.lineStarts.length ? this.lineStarts[line]! - 1 : this.text.length;
    return this.text.slice(start, end).replace(/\r$/, "");
  }
}

export interface Span {
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
}

export function spanUnion(a: Span, b: Span): Span {
  return a.file === b.file ? { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) } : a;
}
