// The log viewer: a log of any size, opened at its tail, read by range as it
// is scrolled, followed live, searched on the server, with links to lines.
//
// Only the rows near the viewport are in the DOM (as GitHub's log view does):
// a spacer as tall as all the rows gives the scroll bar, and the few rows
// shown are drawn where the viewport is. Past MAX_HEIGHT pixels the scroll
// position maps to a row by proportion, so a billion-line log still scrolls.
//
// The lines come from the API as any client reads them: the tail
// (GET …/log?tail=), then lines by number before it (GET …/log/lines), and
// new output after it (Server-Sent Events from the tail's end, resumed by
// Last-Event-ID). Every piece of log text reaches the page through
// textContent (ansi.js's toFragment), never as HTML.

import { toFragment } from "./ansi.js";
import { BLOCK, LogLines, MAX_CHARS, fetchOk } from "./loglines.js";
import { LogSearch } from "./logsearch.js";
import { Sections } from "./logsections.js";

const MAX_HEIGHT = 8_000_000; // px: below every browser's limit on an element's height
const OVERSCAN = 30; // rows drawn above and below the viewport

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function count(n) {
  return n.toLocaleString("en-US");
}

export class LogViewer {
  constructor(root, { runId, finished, onStatus }) {
    this.root = root;
    this.api = `/v1/runs/${encodeURIComponent(runId)}`;
    this.onStatus = onStatus || (() => {});
    this.lines = new LogLines(this.api, (error) => this.changed(error));
    this.sections = new Sections();
    this.finished = finished;
    this.following = true;
    this.highlight = null; // the line of #L…
    this.mark = null; // {line, from, to}: the current search match
    this.pendingJump = null;
    this.rowHeight = 20;
    this.top = 0; // the row at the top, when scaled (see topRow)
    this.setScroll = -1; // the scrollTop that this.top was last put at
    this.drawn = new Map(); // line → row element, for the rows on screen
    this.frame = 0;
    this.build();
  }

  build() {
    const root = this.root;
    root.replaceChildren();
    root.classList.add("log-live");
    this.toolbar = el("div", "log-toolbar");
    this.info = el("span", "log-info muted", "Opening the log…");
    this.info.setAttribute("aria-live", "polite");
    this.followButton = el("button", "log-follow", "Follow the end");
    this.followButton.type = "button";
    this.followButton.addEventListener("click", () => this.toEnd());
    this.search = new LogSearch(this.api, (match) => this.showMatch(match));
    this.toolbar.append(this.search.form, this.goToLineForm(), this.followButton, this.info);
    this.scroller = el("div", "log-scroll");
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute("role", "log");
    this.scroller.setAttribute("aria-label", "Log output");
    this.scroller.setAttribute("aria-live", "off"); // rows come and go as it scrolls
    this.spacer = el("div", "log-spacer");
    this.rows = el("div", "log-rows");
    this.spacer.append(this.rows);
    this.scroller.append(this.spacer);
    this.error = el("p", "problems log-error");
    this.error.hidden = true;
    root.append(this.toolbar, this.error, this.scroller);
    const probe = el("div", "log-row", "0");
    this.rows.append(probe);
    this.rowHeight = probe.getBoundingClientRect().height || 20;
    probe.remove();
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.scroller.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    this.scroller.addEventListener("keydown", (event) => this.onKey(event));
    this.rows.addEventListener("click", (event) => this.onClick(event));
    window.addEventListener("hashchange", () => this.jumpToHash(true));
    window.addEventListener("resize", () => this.schedule());
  }

  // "Go to line": the same as following a #L link
  goToLineForm() {
    const form = el("form", "log-goto");
    const input = el("input");
    input.type = "number";
    input.min = "1";
    input.name = "line";
    input.required = true;
    const label = el("label", "log-search-field", "Line ");
    label.append(input);
    const go = el("button", "", "Go");
    go.type = "submit";
    form.append(label, go);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const line = Number(input.value);
      if (!Number.isInteger(line) || line < 1) return;
      if (window.location.hash === `#L${line}`) this.jumpTo(line, true);
      else window.location.hash = `#L${line}`;
    });
    return form;
  }

  async start() {
    try {
      await this.refreshRun(true);
      const end = await this.lines.openTail();
      this.layout();
      if (!this.jumpToHash(false)) this.toEnd();
      if (!this.finished) this.follow(end);
    } catch (error) {
      this.showError(error);
    }
  }

  // the run as the API shows it: its sections (and at the start, whether it
  // has finished; later the stream's last event says so, after the last chunk)
  async refreshRun(initial = false) {
    const run = await (await fetchOk(this.api)).json();
    this.sections.set(run.sections);
    if (initial) this.finished = run.status === "complete" || run.status === "error";
    this.schedule(true);
    return run;
  }

  follow(offset) {
    if (this.events) this.events.close();
    // The browser sends Last-Event-ID by itself when it reconnects: the
    // stream resumes just after the last chunk it received.
    const events = new EventSource(`${this.api}/log?offset=${offset}`);
    this.events = events;
    events.addEventListener("log", (event) => {
      this.lines.append(JSON.parse(event.data));
      this.lines.size = Number(event.lastEventId) || this.lines.size;
      this.changed();
      if (!this.seenOutput) {
        this.seenOutput = true;
        this.onStatus(null); // it is running now: the page may say so
      }
    });
    events.addEventListener("status", async (event) => {
      events.close();
      this.finished = true;
      const status = JSON.parse(event.data);
      try {
        await this.refreshRun();
      } catch {
        // the sections stay as they were
      }
      this.changed();
      this.onStatus(status);
    });
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED && !this.finished) {
        this.showError(new Error("The live log stopped: reload the page to follow it again."));
      }
    });
  }

  showError(error) {
    this.error.textContent = error instanceof Error ? error.message : String(error);
    this.error.hidden = false;
  }

  changed(error) {
    if (error) this.showError(error);
    this.layout();
    if (this.pendingJump !== null && this.pendingJump <= this.lines.total) {
      const line = this.pendingJump;
      this.pendingJump = null;
      this.jumpTo(line, true);
    } else if (this.following) {
      this.toEnd();
    }
    this.schedule(true);
  }

  // the spacer's height, the gutter's width, the line count
  layout() {
    const rows = this.sections.rows(this.lines.total);
    const full = rows * this.rowHeight;
    this.height = Math.min(full, MAX_HEIGHT);
    this.spacer.style.height = `${Math.max(this.height, this.rowHeight)}px`;
    const digits = String(Math.max(1, this.lines.total)).length;
    this.rows.style.setProperty("--gutter", `${digits + 1}ch`);
    const state = this.finished ? "" : " so far";
    const lines = this.lines.total === 1 ? "line" : "lines";
    this.info.textContent = `${count(this.lines.total)} ${lines}${state}`;
    // a short log gets a short box; a long one fills 70% of the window
    const tall = full + 18 < window.innerHeight * 0.7;
    if (tall) this.scroller.style.height = `${Math.max(full, 3 * this.rowHeight) + 18}px`;
    else this.scroller.style.removeProperty("height");
    this.followButton.textContent = this.finished ? "Jump to the end" : "Follow the end";
    this.root.dataset.lines = String(this.lines.total);
  }

  // Past MAX_HEIGHT a pixel of the scroll bar is several rows: the row at the
  // top is then kept here (this.top), moved finely by the wheel and keys, and
  // taken from the scroll bar only when something else moved it.
  scaled() {
    return this.sections.rows(this.lines.total) * this.rowHeight > MAX_HEIGHT;
  }

  maxTop() {
    return Math.max(0, this.sections.rows(this.lines.total) - this.scroller.clientHeight / this.rowHeight);
  }

  // the row (fractional, from 0) at the top of the viewport
  topRow() {
    if (!this.scaled()) return this.scroller.scrollTop / this.rowHeight;
    if (Math.abs(this.scroller.scrollTop - this.setScroll) >= 1) {
      const range = Math.max(1, this.height - this.scroller.clientHeight);
      this.top = (this.scroller.scrollTop / range) * this.maxTop();
      this.setScroll = this.scroller.scrollTop;
    }
    return Math.min(this.top, this.maxTop());
  }

  scrollForRow(row) {
    if (!this.scaled()) return row * this.rowHeight;
    const range = Math.max(1, this.height - this.scroller.clientHeight);
    return (row / Math.max(1, this.maxTop())) * range;
  }

  setTop(row) {
    this.top = Math.max(0, Math.min(row, this.maxTop()));
    this.scroller.scrollTop = this.scrollForRow(this.top);
    this.setScroll = this.scroller.scrollTop;
    this.updateFollowing();
    this.schedule();
  }

  updateFollowing() {
    this.following = !this.finished && this.topRow() >= this.maxTop() - 1;
  }

  onScroll() {
    this.updateFollowing();
    this.schedule();
  }

  onWheel(event) {
    if (!this.scaled() || event.ctrlKey) return;
    const unit = event.deltaMode === 1 ? this.rowHeight : event.deltaMode === 2 ? this.scroller.clientHeight : 1;
    if (Math.abs(event.deltaY) < Math.abs(event.deltaX)) return; // sideways: the browser's
    event.preventDefault();
    this.setTop(this.topRow() + (event.deltaY * unit) / this.rowHeight);
  }

  onKey(event) {
    if (!this.scaled() || event.target !== this.scroller) return;
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / this.rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, " ": event.shiftKey ? -page : page };
    if (event.key === "Home") this.setTop(0);
    else if (event.key === "End") this.toEnd();
    else if (event.key in moves) this.setTop(this.topRow() + moves[event.key]);
    else return;
    event.preventDefault();
  }

  schedule(redraw = false) {
    if (redraw) this.drawn.clear();
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const total = this.lines.total;
    const rows = this.sections.rows(total);
    const top = this.topRow();
    const firstRow = Math.max(0, Math.floor(top) - OVERSCAN);
    const visible = Math.ceil(this.scroller.clientHeight / this.rowHeight);
    const lastRow = Math.min(rows - 1, Math.floor(top) + visible + OVERSCAN);
    const offset = this.scroller.scrollTop - (top - firstRow) * this.rowHeight;
    this.rows.style.transform = `translateY(${offset}px)`;
    const keep = new Map();
    const nodes = [];
    let wantFrom = Infinity;
    let wantTo = 0;
    for (let row = firstRow; row <= lastRow; row++) {
      const line = this.sections.lineOf(row + 1);
      if (line > total) break;
      let node = this.drawn.get(line);
      if (!node) {
        node = this.row(line);
        if (node.dataset.loading) {
          wantFrom = Math.min(wantFrom, line);
          wantTo = Math.max(wantTo, line);
        }
      }
      keep.set(line, node);
      nodes.push(node);
    }
    this.drawn = keep;
    this.rows.replaceChildren(...nodes);
    if (wantTo) this.lines.want(wantFrom - BLOCK, wantTo + BLOCK / 2);
  }

  row(line) {
    const node = el("div", "log-row");
    node.dataset.line = String(line);
    const number = el("a", "log-n", String(line));
    number.href = `#L${line}`;
    number.setAttribute("aria-label", `line ${line}`);
    node.append(number);
    const text = el("span", "log-t");
    const parsed = this.lines.parsed(line);
    if (parsed === null) {
      node.dataset.loading = "true";
      node.classList.add("log-loading");
      text.textContent = "…";
    } else {
      let [from, to] = [-1, -1];
      if (this.mark && this.mark.line === line) [from, to] = this.markRange(line);
      text.append(toFragment(document, parsed.segments, from, to));
      if (parsed.cut) text.append(el("span", "log-cut-note", ` … (line cut at ${count(MAX_CHARS)} characters: see the raw log)`));
    }
    const section = this.sections.at(line);
    if (section) {
      node.classList.add("log-section-start");
      node.append(this.sectionHeader(section));
    }
    if (line === this.highlight) node.classList.add("log-highlight");
    if (this.mark && this.mark.line === line) node.classList.add("log-current-match");
    node.append(text);
    return node;
  }

  sectionHeader(section) {
    const closed = this.sections.collapsed.has(section.number);
    const toggle = el("button", "log-section-toggle");
    toggle.type = "button";
    toggle.dataset.section = String(section.number);
    toggle.setAttribute("aria-expanded", closed ? "false" : "true");
    toggle.title = closed ? "Show this step's lines" : "Hide this step's lines";
    toggle.disabled = section.end_line === null;
    const icon = { running: "◔", complete: "✓", error: "✗" }[section.status] || "•";
    toggle.append(el("span", "log-section-arrow", closed ? "▸" : "▾"), el("span", "log-section-name", section.name));
    const status = el("span", `status status-${section.status}`);
    status.append(el("span", "icon", icon), ` ${section.status}`);
    status.firstChild.setAttribute("aria-hidden", "true");
    const facts = [`${section.duration} s`];
    if (section.exit_code !== null && section.exit_code !== undefined) facts.push(`exit ${section.exit_code}`);
    toggle.append(" ", status, el("span", "log-section-facts muted", ` ${facts.join(" · ")}`));
    return toggle;
  }

  markRange(line) {
    const raw = this.lines.raw(line) || "";
    // columns are code points; the line's text is UTF-16
    const index = (points) => {
      let i = 0;
      for (let p = 0; p < points && i < raw.length; p++) i += raw.codePointAt(i) > 0xffff ? 2 : 1;
      return i;
    };
    return [index(this.mark.column), index(this.mark.column + this.mark.length)];
  }

  onClick(event) {
    const toggle = event.target instanceof Element ? event.target.closest(".log-section-toggle") : null;
    if (!toggle) return;
    const number = Number(toggle.dataset.section);
    if (this.sections.collapsed.has(number)) this.sections.collapsed.delete(number);
    else this.sections.collapsed.add(number);
    this.following = false;
    this.layout();
    this.schedule(true);
  }

  toEnd() {
    this.setTop(this.maxTop());
    this.following = !this.finished;
  }

  jumpToHash(fromEvent) {
    const found = /^#L(\d+)$/.exec(window.location.hash);
    if (!found) return false;
    this.jumpTo(Number(found[1]), !fromEvent || !this.isVisible(Number(found[1])));
    return true;
  }

  isVisible(line) {
    const node = this.drawn.get(line);
    if (!node) return false;
    const box = node.getBoundingClientRect();
    const view = this.scroller.getBoundingClientRect();
    return box.top >= view.top && box.bottom <= view.bottom;
  }

  // show `line`, highlighted, a third of the way down the viewport
  jumpTo(line, scroll) {
    const total = this.lines.total;
    if (line > total && !this.finished) {
      this.pendingJump = line;
      this.info.textContent = `Line ${count(line)} is not written yet: waiting for it`;
      return;
    }
    const target = Math.max(1, Math.min(line, total));
    this.highlight = target;
    this.following = false;
    this.sections.reveal(target);
    this.layout();
    if (scroll) {
      this.scroller.scrollIntoView({ block: "nearest" });
      const row = this.sections.rowOf(target) - 1;
      const third = this.scroller.clientHeight / this.rowHeight / 3;
      this.setTop(row - third);
    }
    this.root.dataset.highlight = String(target);
    this.schedule(true);
  }

  showMatch(match) {
    this.mark = match ? { line: match.line, column: match.column, length: match.end - match.start } : null;
    if (match) this.jumpTo(match.line, true);
    else this.schedule(true);
  }
}
