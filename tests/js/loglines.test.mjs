// Unit tests of static/js/loglines.js: the tail, live text, and blocks read by number.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BLOCK, LogLines } from "./loglines.js";

const text = (parsed) => parsed.segments.map((s) => s.text).join("");

function fakeFetch(log, requests) {
  // the API's tail and lines reads, on `log` (a string)
  return async (url) => {
    requests.push(url);
    const address = new URL(url, "http://x");
    const lines = log.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    if (address.pathname.endsWith("/log")) {
      const tail = Number(address.searchParams.get("tail"));
      let start = Math.max(0, log.length - tail);
      if (start > 0 && log[start - 1] !== "\n") start = log.indexOf("\n", start) + 1;
      const firstLine = log.slice(0, start).split("\n").length;
      const headers = new Map([
        ["X-Log-First-Line", String(firstLine)],
        ["X-Next-Offset", String(log.length)],
        ["X-Log-Complete", "true"],
      ]);
      return { ok: true, headers: { get: (name) => headers.get(name) }, text: async () => log.slice(start) };
    }
    const from = Number(address.searchParams.get("from"));
    const count = Number(address.searchParams.get("count"));
    return { ok: true, json: async () => ({ lines: lines.slice(from - 1, from - 1 + count) }) };
  };
}

test("live text makes lines; an unfinished last line is replaced as it grows", () => {
  const log = new LogLines("/v1/runs/r", () => {});
  log.append("one\ntw");
  assert.equal(log.total, 2);
  assert.equal(log.raw(2), "tw");
  assert.equal(text(log.parsed(2)), "tw");
  log.append("o\x1b[3");
  assert.equal(log.total, 2);
  log.append("1mthree\nred still\x1b[0m\n");
  assert.equal(log.total, 3);
  assert.equal(text(log.parsed(2)), "twothree");
  assert.equal(log.parsed(3).segments[0].style.fg, 1); // the colour carried to the next line
});

test("the tail opens at its first line; earlier lines come in blocks, colours carried over", async () => {
  const lines = [];
  for (let i = 1; i <= 1000; i++) lines.push(i === 1 ? "\x1b[32mgreen from line 1" : `line ${i}`);
  const body = lines.join("\n") + "\n";
  const requests = [];
  globalThis.fetch = fakeFetch(body, requests);
  let changes = 0;
  const log = new LogLines("/v1/runs/r", () => changes++);
  await log.openTail();
  assert.equal(log.total, 1000);
  assert.equal(log.first, 1); // 128 KiB holds it all
  const small = new LogLines("/v1/runs/r", () => changes++);
  small.first = 700;
  small.tail = lines.slice(699);
  assert.equal(small.total, 1000);
  assert.equal(small.parsed(10), null); // not read yet
  small.want(1, 10);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(requests.some((url) => url.includes("/log/lines?from=")));
  const lastBlock = small.blockOf(10);
  assert.equal(small.blocks.has(lastBlock), true);
  assert.equal(text(small.parsed(10)), "line 10");
  // line 1 set green and nothing reset it: the block after it starts green too
  small.want(600, 699);
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (let b = small.blockOf(699); b <= small.blockOf(1); b++) if (!small.blocks.has(b)) small.want(...small.blockRange(b));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(small.parsed(699).segments[0].style.fg, 2);
  assert.equal(small.parsed(700).segments[0].style.fg, 2);
  assert.ok(changes > 0);
  assert.equal(BLOCK, 200);
});

test("a long live log keeps its newest lines and reads older ones back by number", () => {
  const log = new LogLines("/v1/runs/r", () => {});
  const chunk = Array.from({ length: 60_000 }, (_, i) => `l${i + 1}`).join("\n") + "\n";
  log.append(chunk);
  assert.equal(log.total, 60_000);
  assert.ok(log.tail.length <= 50_000);
  assert.equal(log.raw(60_000), "l60000");
  assert.equal(log.raw(log.first), `l${log.first}`);
  assert.equal(log.parsed(1), null); // gone back to the server
});
