// Unit tests of static/js/logsections.js: rows and lines with collapsed steps.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Sections } from "./logsections.js";

const steps = [
  { number: 1, name: "prepare", start_line: 1, end_line: 10 },
  { number: 2, name: "build", start_line: 11, end_line: 30 },
  { number: 3, name: "deploy", start_line: 31, end_line: null },
];

test("with nothing collapsed a row is a line", () => {
  const s = new Sections();
  s.set(steps);
  assert.equal(s.rows(40), 40);
  assert.equal(s.lineOf(25), 25);
  assert.equal(s.rowOf(25), 25);
  assert.equal(s.at(11).name, "build");
  assert.equal(s.at(12), undefined);
});

test("a collapsed step keeps its header row and hides the rest", () => {
  const s = new Sections();
  s.set(steps);
  s.collapsed.add(1);
  s.collapsed.add(2);
  assert.equal(s.rows(40), 40 - 9 - 19);
  assert.deepEqual([1, 2, 3, 4].map((row) => s.lineOf(row)), [1, 11, 31, 32]);
  assert.equal(s.rowOf(11), 2);
  assert.equal(s.rowOf(5), 1); // hidden: its header's row
  assert.equal(s.rowOf(35), 7);
  s.reveal(20);
  assert.equal(s.collapsed.has(2), false);
  assert.equal(s.lineOf(3), 12);
});

test("a running step (no end yet) cannot hide lines", () => {
  const s = new Sections();
  s.set(steps);
  s.collapsed.add(3);
  assert.equal(s.rows(40), 40);
  s.set(null);
  assert.equal(s.rows(5), 5);
});
