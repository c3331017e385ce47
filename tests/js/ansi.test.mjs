// Unit tests of static/js/ansi.js, run by tests/unit/test_js.py with node's own runner.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LineSplitter, PLAIN, applySgr, paletteRgb, parseLine } from "./ansi.js";

const text = (parsed) => parsed.segments.map((s) => s.text).join("");

test("a plain line is one plain segment", () => {
  const parsed = parseLine("hello <b>world</b>");
  assert.deepEqual(parsed.segments, [{ text: "hello <b>world</b>", style: PLAIN, raw: 0 }]);
  assert.equal(parsed.state, PLAIN);
});

test("16 colours, bold, italic, underline and reset", () => {
  const parsed = parseLine("\x1b[1;31mred\x1b[0m plain \x1b[3;4;94mblue\x1b[22;23;24;39m");
  assert.equal(text(parsed), "red plain blue");
  const [red, plain, blue] = parsed.segments;
  assert.equal(red.style.fg, 1);
  assert.equal(red.style.bold, true);
  assert.equal(plain.style, PLAIN);
  assert.equal(blue.style.fg, 12);
  assert.equal(blue.style.italic, true);
  assert.equal(blue.style.underline, true);
  assert.equal(blue.raw, "\x1b[1;31mred\x1b[0m plain \x1b[3;4;94m".length);
  assert.deepEqual({ ...parsed.state }, { ...PLAIN });
});

test("256 and 24-bit colours, fg and bg, with ; and : forms", () => {
  const parsed = parseLine("\x1b[38;5;196ma\x1b[48;2;1;2;3mb\x1b[38:2::10:20:30mc\x1b[48:5:21md");
  const [a, b, c, d] = parsed.segments;
  assert.equal(a.style.fg, 196);
  assert.equal(b.style.bg, "rgb(1, 2, 3)");
  assert.equal(c.style.fg, "rgb(10, 20, 30)");
  assert.equal(d.style.bg, 21);
  assert.equal(paletteRgb(196), "rgb(255, 0, 0)");
  assert.equal(paletteRgb(232), "rgb(8, 8, 8)");
});

test("the state carries to the next line, and across chunks of a stream", () => {
  const first = parseLine("\x1b[32mgreen starts");
  const second = parseLine("still green\x1b[0m", first.state);
  assert.equal(second.segments[0].style.fg, 2);
  assert.equal(second.state, PLAIN);
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push("one\ntw"), ["one"]);
  assert.deepEqual(splitter.push("o\x1b[3"), []);
  assert.deepEqual(splitter.push("1mthree\nfo"), ["two\x1b[31mthree"]);
  assert.equal(splitter.partial, "fo");
  assert.equal(parseLine("two\x1b[31mthree").segments[1].style.fg, 1);
});

test("other escapes and control characters are dropped", () => {
  const parsed = parseLine("a\x1b[2Jb\x1b]8;;http://x\x07link\x1b]8;;\x07c\x1b(Bd\x07e\x00f\tg\x1b[?25lh");
  assert.equal(text(parsed), "ablinkcdef\tgh");
});

test("a carriage return overwrites: a progress line shows its last state", () => {
  assert.equal(text(parseLine("progress 10%\rprogress 50%\rprogress 100%")), "progress 100%");
  assert.equal(text(parseLine("downloading 1000\rdone")), "doneloading 1000");
  assert.equal(text(parseLine("50%\r\x1b[Kdone")), "done");
  assert.equal(text(parseLine("a line from windows\r")), "a line from windows");
  const coloured = parseLine("\x1b[33m10%\r\x1b[32m100%\x1b[0m");
  assert.equal(text(coloured), "100%");
  assert.equal(coloured.segments[0].style.fg, 2);
});

test("a long line is cut at maxChars and says so", () => {
  const parsed = parseLine("x".repeat(50) + "\x1b[31m" + "y".repeat(50), PLAIN, 60);
  assert.equal(text(parsed), "x".repeat(50) + "y".repeat(10));
  assert.equal(parsed.cut, true);
  assert.equal(parsed.state.fg, 1);
  assert.equal(parseLine("short", PLAIN, 60).cut, false);
});

test("an unchanged style is the same object", () => {
  const red = applySgr(PLAIN, "31");
  assert.equal(applySgr(red, "31"), red);
  assert.equal(applySgr(PLAIN, ""), PLAIN);
});
