// Offsets to line/column positions. Kept apart from the parsers so that importing it
// pulls in no XML library.
import type { Position } from '../diagnostics.js';

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i >= 0) { starts.push(i + 1); i = text.indexOf('\n', i + 1); }
  return starts;
}

export function positionAt(lineStarts: number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1, offset };
}
