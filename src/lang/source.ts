/** A source text with its name; spans point into it. Several files may form one program. */
export class SourceFile {
  readonly lineStarts: number[] = [0];
  constructor(readonly name: string, readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; col: number } {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const end = line < this.lineStarts.length ? this.lineStarts[line]! - 1 : this.text.length;
    return this.text.slice(start, end).replace(/\r$/, "");
  }
}

export interface Span { readonly file: SourceFile; readonly start: number; readonly end: number }

export function spanUnion(a: Span, b: Span): Span {
  return a.file === b.file ? { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) } : a;
}
