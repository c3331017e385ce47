// A pipeline job's steps as sections of its log (the run's `sections` in the
// API): a collapsed one hides its lines after its header line, so the
// viewer's rows are the log's lines less the hidden ones.

export class Sections {
  constructor() {
    this.list = [];
    this.collapsed = new Set(); // section numbers
  }

  set(list) {
    this.list = Array.isArray(list) ? list : [];
  }

  at(line) {
    return this.list.find((s) => s.start_line === line);
  }

  hidden() {
    // [first hidden line, last hidden line] of each collapsed section, in order
    return this.list
      .filter((s) => this.collapsed.has(s.number) && s.end_line !== null && s.end_line > s.start_line)
      .map((s) => [s.start_line + 1, s.end_line])
      .sort((a, b) => a[0] - b[0]);
  }

  rows(total) {
    return total - this.hidden().reduce((n, [a, b]) => n + (Math.min(b, total) - a + 1), 0);
  }

  lineOf(row) {
    let line = row;
    for (const [a, b] of this.hidden()) if (a <= line) line += b - a + 1;
    return line;
  }

  rowOf(line) {
    let row = line;
    for (const [a, b] of this.hidden()) {
      if (line > b) row -= b - a + 1;
      else if (line >= a) row -= line - a + 1; // inside: its header's row
    }
    return row;
  }

  // expand the section that hides `line`, if any
  reveal(line) {
    for (const s of this.list) {
      if (this.collapsed.has(s.number) && line > s.start_line && s.end_line !== null && line <= s.end_line) {
        this.collapsed.delete(s.number);
      }
    }
  }
}

