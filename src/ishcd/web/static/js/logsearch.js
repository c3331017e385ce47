// The log viewer's search: the server searches the whole log
// (GET …/log/search), says exactly how many matches there are, and pages
// them; this steps from one match to the next and asks the viewer to show it.

const PER_PAGE = 100;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function labelled(text, input) {
  const label = el("label", "log-search-field");
  label.append(text, input);
  return label;
}

export class LogSearch {
  constructor(api, show) {
    this.api = api;
    this.show = show; // called with a match ({line, column, start, end, …}) or null
    this.query = null; // the URL query of the current search
    this.total = 0;
    this.index = -1;
    this.pages = new Map();
    this.build();
  }

  build() {
    const form = el("form", "log-search");
    form.setAttribute("role", "search");
    this.input = el("input");
    this.input.type = "search";
    this.input.name = "q";
    this.input.maxLength = 1000;
    this.input.placeholder = "text in the log";
    this.regex = el("input");
    this.regex.type = "checkbox";
    this.regex.name = "regex";
    this.ignoreCase = el("input");
    this.ignoreCase.type = "checkbox";
    this.ignoreCase.name = "ignore_case";
    const find = el("button", "primary", "Find");
    find.type = "submit";
    this.prev = el("button", "log-prev", "↑ Previous");
    this.prev.type = "button";
    this.next = el("button", "log-next", "↓ Next");
    this.next.type = "button";
    this.count = el("span", "log-search-count");
    this.count.setAttribute("aria-live", "polite");
    const regexLabel = labelled("", this.regex);
    regexLabel.append(" Regex");
    regexLabel.classList.add("check");
    const caseLabel = labelled("", this.ignoreCase);
    caseLabel.append(" Ignore case");
    caseLabel.classList.add("check");
    form.append(labelled("Search the log ", this.input), regexLabel, caseLabel, find, this.prev, this.next, this.count);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.shiftKey) {
        event.preventDefault();
        this.step(-1);
      }
    });
    this.prev.addEventListener("click", () => this.step(-1));
    this.next.addEventListener("click", () => this.step(1));
    this.form = form;
    this.updateButtons();
  }

  params() {
    const params = new URLSearchParams({ q: this.input.value, per_page: String(PER_PAGE) });
    if (this.regex.checked) params.set("regex", "1");
    if (this.ignoreCase.checked) params.set("ignore_case", "1");
    return params;
  }

  async submit() {
    if (!this.input.value) {
      this.clear();
      return;
    }
    const params = this.params();
    const query = params.toString();
    if (query === this.query && this.total > 0) {
      this.step(1); // Enter again: the next match
      return;
    }
    this.query = query;
    this.pages.clear();
    this.count.textContent = "Searching…";
    try {
      const page = await this.page(1);
      if (query !== this.query) return; // a newer search started
      this.total = page.total;
      this.index = -1;
      if (this.total === 0) {
        this.count.textContent = "No matches";
        this.show(null);
      } else {
        await this.go(0);
      }
    } catch (error) {
      this.query = null;
      this.total = 0;
      this.show(null);
      this.count.textContent = error.message;
      this.count.classList.add("log-search-error");
    }
    this.updateButtons();
  }

  clear() {
    this.query = null;
    this.total = 0;
    this.index = -1;
    this.count.textContent = "";
    this.show(null);
    this.updateButtons();
  }

  async page(number) {
    if (!this.pages.has(number)) {
      const params = new URLSearchParams(this.query);
      params.set("page", String(number));
      const response = await fetch(`${this.api}/log/search?${params}`, { credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) {
        const fields = (body.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
        throw new Error(fields || body.message || `${response.status}`);
      }
      this.pages.set(number, body);
    }
    return this.pages.get(number);
  }

  async step(by) {
    if (this.total === 0) return;
    await this.go((this.index + by + this.total) % this.total);
  }

  async go(index) {
    this.index = index;
    this.count.classList.remove("log-search-error");
    const page = await this.page(Math.floor(index / PER_PAGE) + 1);
    const match = page.matches[index % PER_PAGE];
    const of = `${(index + 1).toLocaleString("en-US")} of ${this.total.toLocaleString("en-US")}`;
    const word = this.total === 1 ? "match" : "matches";
    this.count.textContent = match ? `${of} ${word} (line ${match.line.toLocaleString("en-US")})` : `${of} ${word}`;
    this.count.dataset.total = String(this.total);
    this.updateButtons();
    if (match) this.show(match);
  }

  updateButtons() {
    this.prev.disabled = this.next.disabled = this.total < 2;
  }
}
