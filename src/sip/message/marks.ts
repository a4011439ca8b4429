/**
 * Positions in the received header block that the readers of the common forms record while
 * they validate Via, From and To (every one is checked for the RFC 4475 verdicts), so that a
 * view is built on its first read by slicing the block, without reading it again. A message
 * nobody reads the views of then costs no objects for them.
 *
 * The list is scratch shared by every parse (parsing is synchronous) and belongs to the header
 * block of the last message parsed: its views are nearly always read before the next parse
 * (the transaction and dialog layers read them as the message arrives). A message whose block
 * no longer owns the marks reads its views with the full readers. The first HEAD_MARKS entries
 * say where the record of each view starts, or -1 when the parser built that view instead.
 */

/** Entry of the head: where the record of the first Via field, of From and of To starts. */
export const VIA_MARK = 0;
export const FROM_MARK = 1;
export const TO_MARK = 2;
const HEAD_MARKS = 3;

/** Marks recorded per message at most: a value with more parameters is left to the full reader. */
export const MARK_CAPACITY = 256;

/**
 * The scratch list. A reader writes its record at `markEnd()`, checking it stays within
 * MARK_CAPACITY, then moves the end past it with `setMarkEnd`. Kept all small integers (one
 * element kind), so that copying it is a block copy.
 */
export const marks: number[] = Array.from({ length: MARK_CAPACITY }, () => 0);

/** How many entries of `marks` are in use. */
let used = HEAD_MARKS;

/** The header block the marks were recorded in, once its message was parsed. */
let owner: string | undefined;

/** Starts a new message's marks: no view recorded. */
export function clearMarks(): void {
  owner = undefined;
  marks[VIA_MARK] = -1;
  marks[FROM_MARK] = -1;
  marks[TO_MARK] = -1;
  used = HEAD_MARKS;
}

/** Where the next record starts. */
export function markEnd(): number {
  return used;
}

/** Sets where the records end: past a record just written. */
export function setMarkEnd(end: number): void {
  used = end;
}

/** Notes that the record of view `head` (VIA_MARK, FROM_MARK or TO_MARK) starts at `at`. */
export function markView(head: number, at: number): void {
  marks[head] = at;
}

/**
 * Hands the marks to the message parsed from the header block `text`; returns whether it has
 * any. Blocks compare as strings: an equal block, read by the same readers, has the very same
 * marks.
 */
export function keepMarks(text: string): boolean {
  if (used === HEAD_MARKS) return false;
  owner = text;
  return true;
}

/** The marks, while they still belong to the header block `text`. */
export function marksOf(text: string): readonly number[] | undefined {
  return text === owner ? marks : undefined;
}

/** Entries of the record of one parameter: name start and end, value start (-1 without value) and end. */
export const PARAM_RECORD = 4;

/** Records a parameter at marks[at]. */
export function markParam(
  at: number,
  nameStart: number,
  nameEnd: number,
  valueStart: number,
  valueEnd: number,
): void {
  marks[at] = nameStart;
  marks[at + 1] = nameEnd;
  marks[at + 2] = valueStart;
  marks[at + 3] = valueEnd;
}
