import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Token counts of the o200k encoding (GPT-4o and later), the same counts as tiktoken's byte pair
 * merge, from tables of about 5 MB.
 *
 * Why not the tokenizer library's own encoder: it builds its vocabulary from a 2.4 MB module of
 * 200,000 string literals and a Map over them, which cost a node about 60 MB of resident memory
 * (the parse of the literal and the heap it leaves, measured in a bare node), a quarter of an idle
 * node. We read the library's own `.tiktoken` file instead (one base64 token and its rank per line)
 * into one byte array with an open-addressing hash table over it, and count only: a budget
 * estimate needs the number, never the token ids.
 *
 * Special tokens (`<|endoftext|>` and the like) are counted as the text they are: a provider reads
 * a user's text that way, and the library's count threw on them.
 */

/** tiktoken's o200k pre-tokenisation pattern (as gpt-tokenizer and tiktoken ship it). */
const contractionSuffix = "(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?";
const splitPattern = new RegExp(
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${contractionSuffix}` +
    String.raw`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${contractionSuffix}` +
    String.raw`|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  'gu',
);

interface Vocabulary {
  /** Every token's bytes, one after another. */
  bytes: Uint8Array;
  /** Where each rank's bytes start in `bytes`, and how many there are. */
  starts: Uint32Array;
  lengths: Uint16Array;
  /** Open addressing on the bytes' hash: rank + 1, or 0 for an empty slot. */
  slots: Int32Array;
  slotMask: number;
}

const noRank = 0x7fffffff;

function loadVocabulary(): Vocabulary {
  const path = createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken');
  const file = readFileSync(path);
  // A first pass sizes the tables exactly: a larger scratch array would stay in the process's
  // memory after it is freed (the allocator keeps it), which is what this module is here to avoid.
  let lineCount = 0;
  let byteCount = 0;
  let base64Characters = 0;
  let inToken = true;
  for (let index = 0; index < file.length; index++) {
    const character = file[index] as number;
    if (character === 10) {
      lineCount++;
      byteCount += Math.floor((base64Characters * 6) / 8);
      base64Characters = 0;
      inToken = true;
    } else if (character === 32) inToken = false;
    else if (inToken && character !== 61) base64Characters++; // 61: '=' padding
  }
  if (file.length > 0 && file[file.length - 1] !== 10) {
    lineCount++;
    byteCount += Math.floor((base64Characters * 6) / 8);
  }

  const bytes = new Uint8Array(byteCount);
  const starts = new Uint32Array(lineCount);
  const lengths = new Uint16Array(lineCount);
  let written = 0;
  let position = 0;
  while (position < file.length) {
    const space = file.indexOf(32, position);
    let lineEnd = file.indexOf(10, position);
    if (lineEnd === -1) lineEnd = file.length;
    if (space === -1 || space > lineEnd)
      throw new Error(`o200k vocabulary: no rank on the line at byte ${position}`);
    let rank = 0;
    for (let index = space + 1; index < lineEnd; index++) {
      const digit = (file[index] as number) - 48;
      if (digit < 0 || digit > 9)
        throw new Error(`o200k vocabulary: a rank that is not a number at byte ${index}`);
      rank = rank * 10 + digit;
    }
    if (rank >= lineCount) throw new Error(`o200k vocabulary: rank ${rank} beyond its ${lineCount} lines`);
    const start = written;
    written = decodeBase64(file, position, space, bytes, written);
    starts[rank] = start;
    lengths[rank] = written - start;
    position = lineEnd + 1;
  }

  let slotCount = 1;
  while (slotCount < lineCount * 2) slotCount *= 2;
  const slots = new Int32Array(slotCount);
  const slotMask = slotCount - 1;
  for (let rank = 0; rank < lineCount; rank++) {
    const start = starts[rank] as number;
    let slot = hashOf(bytes, start, start + (lengths[rank] as number)) & slotMask;
    while (slots[slot] !== 0) slot = (slot + 1) & slotMask;
    slots[slot] = rank + 1;
  }
  return { bytes, starts, lengths, slots, slotMask };
}

const base64Values = new Int8Array(256).fill(-1);
for (const [index, character] of [
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
].entries()) {
  base64Values[character.charCodeAt(0)] = index;
}

const vocabulary = loadVocabulary();

/** Decodes `source[from, to)` (padded base64) into `target` at `at`; returns the end written. */
function decodeBase64(source: Uint8Array, from: number, to: number, target: Uint8Array, at: number): number {
  let buffered = 0;
  let bits = 0;
  let end = at;
  for (let index = from; index < to; index++) {
    const value = base64Values[source[index] as number] as number;
    if (value < 0) continue; // '=' padding
    buffered = (buffered << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      target[end++] = (buffered >> bits) & 0xff;
    }
  }
  return end;
}

/** FNV-1a over `bytes[from, to)`. */
function hashOf(bytes: Uint8Array, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let index = from; index < to; index++) hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193);
  return hash >>> 0;
}

/** The rank of the token whose bytes are `piece[from, to)`, or `noRank`. */
function rankOf(piece: Uint8Array, from: number, to: number): number {
  const { bytes, starts, lengths, slots, slotMask } = vocabulary;
  const length = to - from;
  let slot = hashOf(piece, from, to) & slotMask;
  for (let entry = slots[slot] as number; entry !== 0; entry = slots[slot] as number) {
    const rank = entry - 1;
    if (lengths[rank] === length && sameBytes(bytes, starts[rank] as number, piece, from, length))
      return rank;
    slot = (slot + 1) & slotMask;
  }
  return noRank;
}

function sameBytes(
  left: Uint8Array,
  leftFrom: number,
  right: Uint8Array,
  rightFrom: number,
  length: number,
): boolean {
  for (let index = 0; index < length; index++) {
    if (left[leftFrom + index] !== right[rightFrom + index]) return false;
  }
  return true;
}

/** Scratch space reused by every count (counting is synchronous). */
let pieceBytes = new Uint8Array(1024);
const utf8 = new TextEncoder();

/** Writes `piece` as UTF-8 into `pieceBytes`; returns its length in bytes. */
function encodePiece(piece: string): number {
  if (pieceBytes.length < piece.length * 3) pieceBytes = new Uint8Array(piece.length * 3);
  for (let index = 0; index < piece.length; index++) {
    const code = piece.charCodeAt(index);
    if (code >= 0x80) return utf8.encodeInto(piece, pieceBytes).written;
    pieceBytes[index] = code;
  }
  return piece.length;
}

/**
 * The parts of a piece as a linked list over their first bytes (`nextPart[start]` is where the next
 * part starts, the piece's length after the last, -1 once merged away), and a binary heap of
 * candidate merges ordered by (rank, start), each with the end of the pair it was made for.
 */
let nextPart = new Int32Array(1024);
let previousPart = new Int32Array(1024);
let heapRank = new Int32Array(1024);
let heapStart = new Int32Array(1024);
let heapEnd = new Int32Array(1024);
let heapSize = 0;

/** Whether the offer (rank, start) comes out of the heap before the one at `index`. */
function before(rank: number, start: number, index: number): boolean {
  const other = heapRank[index] as number;
  return rank < other || (rank === other && start < (heapStart[index] as number));
}

function place(index: number, rank: number, start: number, end: number): void {
  heapRank[index] = rank;
  heapStart[index] = start;
  heapEnd[index] = end;
}

function heapPush(rank: number, start: number, end: number): void {
  let index = heapSize++;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(rank, start, parent)) break;
    place(index, heapRank[parent] as number, heapStart[parent] as number, heapEnd[parent] as number);
    index = parent;
  }
  place(index, rank, start, end);
}

/** Removes the top of the heap (read it before). */
function heapPop(): void {
  const size = --heapSize;
  const rank = heapRank[size] as number;
  const start = heapStart[size] as number;
  const end = heapEnd[size] as number;
  let index = 0;
  for (;;) {
    let child = index * 2 + 1;
    if (child >= size) break;
    const right = child + 1;
    if (right < size && before(heapRank[right] as number, heapStart[right] as number, child)) child = right;
    if (before(rank, start, child)) break;
    place(index, heapRank[child] as number, heapStart[child] as number, heapEnd[child] as number);
    index = child;
  }
  place(index, rank, start, end);
}

/** Offers the merge of the part at `start` with the one after it, if their joined bytes are a token. */
function offerMerge(start: number, length: number): void {
  const right = nextPart[start] as number;
  if (right >= length) return;
  const end = nextPart[right] as number;
  const rank = rankOf(pieceBytes, start, end);
  if (rank !== noRank) heapPush(rank, start, end);
}

/**
 * tiktoken's `_byte_pair_merge`: start from single bytes and merge the adjacent pair whose joined
 * bytes have the lowest rank (the leftmost such pair on a tie) until no pair is a token; returns the
 * number of tokens left. tiktoken rescans every pair after each merge (quadratic: a 4,000-byte piece
 * took 5 ms); the heap finds the same pair in logarithmic time, skipping offers whose pair has
 * changed since.
 */
function mergedTokenCount(length: number): number {
  if (nextPart.length < length + 1) {
    nextPart = new Int32Array(length + 1);
    previousPart = new Int32Array(length + 1);
  }
  if (heapRank.length < length * 3) {
    heapRank = new Int32Array(length * 3);
    heapStart = new Int32Array(length * 3);
    heapEnd = new Int32Array(length * 3);
  }
  for (let start = 0; start < length; start++) {
    nextPart[start] = start + 1;
    previousPart[start] = start - 1;
  }
  heapSize = 0;
  for (let start = 0; start + 1 < length; start++) offerMerge(start, length);

  let parts = length;
  while (heapSize > 0) {
    const start = heapStart[0] as number;
    const end = heapEnd[0] as number;
    heapPop();
    const right = nextPart[start] as number;
    // A stale offer: the part at `start` was merged into its left, or its pair has grown since.
    if (right === -1 || right >= length || nextPart[right] !== end) continue;
    nextPart[start] = end;
    nextPart[right] = -1;
    if (end < length) previousPart[end] = start;
    parts--;
    const previous = previousPart[start] as number;
    if (previous >= 0) offerMerge(previous, length);
    offerMerge(start, length);
  }
  return parts;
}

function countPiece(piece: string): number {
  const length = encodePiece(piece);
  if (length <= 1 || rankOf(pieceBytes, 0, length) !== noRank) return length === 0 ? 0 : 1;
  return mergedTokenCount(length);
}

/** o200k tokens in `text`, special-token text counted as text. */
export function countO200kTokens(text: string): number {
  let tokens = 0;
  splitPattern.lastIndex = 0;
  for (let match = splitPattern.exec(text); match !== null; match = splitPattern.exec(text)) {
    tokens += countPiece(match[0]);
  }
  return tokens;
}
