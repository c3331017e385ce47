// The lines of a run's log, as the log viewer reads them from the API: the
// tail first (GET …/log?tail=), blocks of lines by number before it
// (GET …/log/lines), and live text after it (what the stream sends). Each
// line is parsed for ANSI escapes from the state the line before it left.

import { LineSplitter, PLAIN, parseLine, sameStyle } from "./ansi.js";

const TAIL_BYTES = 128 * 1024;
export const BLOCK = 200; // lines per request before the tail
const MAX_BLOCKS = 150; // blocks kept in memory
const MAX_TAIL = 50_000; // live lines kept before the oldest go back to blocks
export const MAX_CHARS = 20_000; // characters of one line drawn (the raw log has the rest)
const MAX_FETCHES = 4;

export async function fetchOk(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.message) message = body.message;
      if (body && Array.isArray(body.errors) && body.errors.length) {
        message += ": " + body.errors.map((e) => `${e.field || ""} ${e.message || ""}`.trim()).join("; ");
      }
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(message);
  }
  return response;
}

// The lines of the log: blocks before `first` (immutable, fetched on demand),
// and the live tail from line `first` on (the last line may be unfinished).
export class LogLines {
  constructor(api, onChange) {
    this.api = api;
    this.onChange = onChange;
    this.first = 1; // the tail's first line
    this.tail = []; // raw lines from `first`
    this.open = false; // the last tail line has no newline yet
    this.tailParsed = []; // parsed tail lines, in order from the first
    this.tailStart = PLAIN; // the ANSI state the tail starts in
    this.blocks = new Map(); // block number → {lines, parsed, start, end}
    this.fetching = new Set();
    this.splitter = new LineSplitter();
    this.complete = false;
    this.size = 0;
  }

  get total() {
    return this.first - 1 + this.tail.length;
  }

  async openTail() {
    const response = await fetchOk(`${this.api}/log?tail=${TAIL_BYTES}`);
    const text = await response.text();
    const firstLine = Number(response.headers.get("X-Log-First-Line") || "1");
    this.size = Number(response.headers.get("X-Next-Offset") || "0");
    this.complete = response.headers.get("X-Log-Complete") === "true";
    this.first = Math.max(1, firstLine);
    this.tail = [];
    this.tailParsed = [];
    this.open = false;
    this.splitter = new LineSplitter();
    this.append(text);
    return this.size;
  }

  // new text at the end of the log (a chunk of the live stream)
  append(text) {
    if (!text) return;
    const finished = this.splitter.push(text);
    if (this.open) this.tail.pop();
    this.tailParsed.length = Math.min(this.tailParsed.length, this.tail.length);
    for (const line of finished) this.tail.push(line);
    this.open = this.splitter.partial !== "";
    if (this.open) this.tail.push(this.splitter.partial);
    this.roll();
  }

  // a long live run: keep the newest lines; the older ones are read back by number
  roll() {
    if (this.tail.length <= MAX_TAIL) return;
    const drop = this.tail.length - MAX_TAIL / 2;
    const parsed = this.tailParsed[drop - 1];
    this.tailStart = parsed ? parsed.state : PLAIN;
    this.tail = this.tail.slice(drop);
    this.tailParsed = this.tailParsed.slice(drop);
    this.first += drop;
    this.blocks.clear(); // blocks count back from `first`
  }

  blockOf(line) {
    return Math.floor((this.first - 1 - line) / BLOCK);
  }

  blockRange(block) {
    const last = this.first - 1 - block * BLOCK;
    return [Math.max(1, last - BLOCK + 1), last];
  }

  // a line's parsed segments, or null while it is being read
  parsed(line) {
    if (line >= this.first) {
      const i = line - this.first;
      if (i >= this.tail.length) return null;
      while (this.tailParsed.length <= i) {
        const k = this.tailParsed.length;
        const before = k === 0 ? this.tailStart : this.tailParsed[k - 1].state;
        this.tailParsed.push(parseLine(this.tail[k], before, MAX_CHARS));
      }
      return this.tailParsed[i];
    }
    const block = this.blocks.get(this.blockOf(line));
    if (!block) return null;
    block.used = performance.now();
    return block.parsed[line - this.blockRange(this.blockOf(line))[0]];
  }

  raw(line) {
    if (line >= this.first) return this.tail[line - this.first];
    const number = this.blockOf(line);
    const block = this.blocks.get(number);
    return block ? block.lines[line - this.blockRange(number)[0]] : undefined;
  }

  // read the blocks of lines [from, to] that are not here yet
  want(from, to) {
    const lo = Math.max(1, from);
    const hi = Math.min(this.first - 1, to);
    if (hi < lo) return;
    for (let b = this.blockOf(hi); b <= this.blockOf(lo); b++) {
      if (this.blocks.has(b) || this.fetching.has(b) || this.fetching.size >= MAX_FETCHES) continue;
      this.fetchBlock(b);
    }
  }

  async fetchBlock(number) {
    const first = this.first;
    const [lo, hi] = this.blockRange(number);
    this.fetching.add(number);
    try {
      const lines = [];
      while (lines.length < hi - lo + 1) {
        const from = lo + lines.length;
        const response = await fetchOk(`${this.api}/log/lines?from=${from}&count=${hi - from + 1}`);
        const body = await response.json();
        if (!body.lines.length) break;
        lines.push(...body.lines.slice(0, hi - from + 1));
      }
      if (first !== this.first) return; // the tail rolled on: block numbers changed
      this.blocks.set(number, { lines, parsed: [], start: null, used: performance.now() });
      this.parseFrom(number);
      this.evict();
      this.onChange();
    } catch (error) {
      this.onChange(error);
    } finally {
      this.fetching.delete(number);
    }
  }

  // parse a block from the state the block before it ends in, then redo the
  // later ones whose start state that changes (colours cross block boundaries)
  parseFrom(number) {
    for (let b = number; b >= 0; b--) {
      const block = this.blocks.get(b);
      if (!block) return;
      const before = this.blocks.get(b + 1);
      const start = before && before.parsed.length ? before.end : PLAIN;
      if (block.start !== null && sameStyle(block.start, start)) return;
      block.start = start;
      let state = start;
      block.parsed = block.lines.map((raw) => {
        const parsed = parseLine(raw, state, MAX_CHARS);
        state = parsed.state;
        return parsed;
      });
      block.end = state;
    }
    const last = this.blocks.get(0);
    if (last && last.parsed.length && !sameStyle(last.end, this.tailStart)) {
      this.tailStart = last.end;
      this.tailParsed = [];
    }
  }

  evict() {
    if (this.blocks.size <= MAX_BLOCKS) return;
    const byAge = [...this.blocks.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [number] of byAge.slice(0, this.blocks.size - MAX_BLOCKS)) this.blocks.delete(number);
  }
}

