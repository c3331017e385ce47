// ANSI escape sequences in a log line, as a terminal would show them.
//
// parseLine(raw, state) reads one line (without its "\n") from the SGR state
// the previous line left (colours carry across lines and chunks) and returns
// its visible text in segments of one style each, and the state after it.
// SGR is kept: 16, 256 and 24-bit colours (fg and bg), bold, italic,
// underline. "\r" returns to the line's start and what follows overwrites it,
// so a progress line shows its last state; "ESC[K" erases. Every other escape
// sequence and control character is dropped. Nothing here builds HTML: the
// viewer turns segments into DOM nodes with textContent (see toFragment).

export const PLAIN = Object.freeze({ fg: null, bg: null, bold: false, italic: false, underline: false });

export function sameStyle(a, b) {
  return (
    a === b ||
    (a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.italic === b.italic && a.underline === b.underline)
  );
}

// A colour is a palette index (0-255) or an "rgb(r, g, b)" string.
function extendedColour(codes, i) {
  // codes[i] is 38 or 48; returns [colour or undefined, how many codes were used]
  const mode = codes[i + 1];
  if (mode === 5 && codes.length > i + 2) {
    const n = codes[i + 2];
    return [n >= 0 && n <= 255 ? n : undefined, 3];
  }
  if (mode === 2 && codes.length > i + 4) {
    const [r, g, b] = [codes[i + 2], codes[i + 3], codes[i + 4]];
    const ok = [r, g, b].every((c) => c >= 0 && c <= 255);
    return [ok ? `rgb(${r}, ${g}, ${b})` : undefined, 5];
  }
  return [undefined, codes.length - i]; // malformed: ignore the rest
}

function subParams(param) {
  // "38:2::255:0:0" (ITU form, with an empty colour space id) or "38:5:196"
  const parts = param.split(":").map((p) => (p === "" ? -1 : Number(p)));
  if ((parts[0] === 38 || parts[0] === 48) && parts[1] === 2 && parts.length >= 6) {
    return [parts[0], 2, parts[parts.length - 3], parts[parts.length - 2], parts[parts.length - 1]];
  }
  if (parts[0] === 4) {
    return [parts[1] === 0 ? 24 : 4]; // 4:0 is underline off; 4:n a kind of underline
  }
  return parts.filter((p) => p >= 0);
}

export function applySgr(state, params) {
  let codes = [];
  for (const param of params === "" ? ["0"] : params.split(";")) {
    if (param.includes(":")) codes = codes.concat(subParams(param));
    else codes.push(param === "" ? 0 : Number(param));
  }
  const s = { ...state };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) Object.assign(s, PLAIN);
    else if (c === 1) s.bold = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) s.bold = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c === 49) s.bg = null;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 38 || c === 48) {
      const [colour, used] = extendedColour(codes, i);
      if (colour !== undefined) s[c === 38 ? "fg" : "bg"] = colour;
      i += used - 1;
    }
    // anything else (dim, blink, inverse, fonts…) is ignored
  }
  if (sameStyle(s, state)) return state;
  return sameStyle(s, PLAIN) ? PLAIN : Object.freeze(s);
}

// Where an escape sequence starting at raw[i] (an ESC) ends, and what it is.
function readEscape(raw, i) {
  const next = raw[i + 1];
  if (next === "[") {
    let j = i + 2;
    while (j < raw.length && raw.charCodeAt(j) >= 0x30 && raw.charCodeAt(j) <= 0x3f) j++;
    const params = raw.slice(i + 2, j);
    while (j < raw.length && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x2f) j++;
    if (j >= raw.length) return { end: raw.length, kind: null };
    const final = raw[j];
    const code = raw.charCodeAt(j);
    if (code < 0x40 || code > 0x7e) return { end: j, kind: null }; // broken: drop what was read
    return { end: j + 1, kind: final, params };
  }
  if (next === "]" || next === "P" || next === "_" || next === "^" || next === "X") {
    // OSC and other strings: up to BEL or ST (ESC \)
    for (let j = i + 2; j < raw.length; j++) {
      if (raw[j] === "\x07") return { end: j + 1, kind: null };
      if (raw[j] === "\x1b" && raw[j + 1] === "\\") return { end: j + 2, kind: null };
    }
    return { end: raw.length, kind: null };
  }
  let j = i + 1;
  while (j < raw.length && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x2f) j++; // ESC ( B …
  return { end: Math.min(raw.length, j + 1), kind: null };
}

function plainSegments(raw, state, maxChars) {
  // the usual line: no "\r", "\b" or erase; segments straight from the text
  const segments = [];
  let style = state;
  let start = 0;
  let visible = 0;
  const flush = (end) => {
    if (end <= start) return;
    let text = raw.slice(start, Math.min(end, start + Math.max(0, maxChars - visible)));
    visible += end - start;
    if (text === "") return;
    segments.push({ text, style, raw: start });
  };
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if ((code >= 0x20 && code !== 0x7f) || code === 0x09) continue; // text (a tab too)
    flush(i);
    if (code === 0x1b) {
      const esc = readEscape(raw, i);
      if (esc.kind === "m") style = applySgr(style, esc.params);
      i = esc.end - 1;
    }
    start = i + 1;
  }
  flush(raw.length);
  return { segments, state: style, cut: visible > maxChars };
}

function overwriteSegments(raw, state, maxChars) {
  // a terminal line: a cursor over cells, each a character with its style
  const chars = [];
  const styles = [];
  const raws = [];
  let cursor = 0;
  let style = state;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x0d) cursor = 0;
    else if (code === 0x08) cursor = Math.max(0, cursor - 1);
    else if (code === 0x1b) {
      const esc = readEscape(raw, i);
      if (esc.kind === "m") style = applySgr(style, esc.params);
      else if (esc.kind === "K") {
        const n = esc.params === "" ? 0 : Number(esc.params);
        if (n === 0) chars.length = styles.length = raws.length = Math.min(chars.length, cursor);
        else if (n === 1 || n === 2) {
          const upTo = n === 2 ? chars.length : Math.min(chars.length, cursor + 1);
          for (let k = 0; k < upTo; k++) chars[k] = " ", styles[k] = PLAIN, raws[k] = -1;
          if (n === 2) chars.length = styles.length = raws.length = 0;
        }
      } else if (esc.kind === "G") cursor = Math.max(0, (esc.params === "" ? 1 : Number(esc.params)) - 1) || 0;
      i = esc.end - 1;
    } else if ((code >= 0x20 && code !== 0x7f) || code === 0x09) {
      if (cursor < maxChars) {
        while (chars.length < cursor) chars.push(" "), styles.push(PLAIN), raws.push(-1);
        chars[cursor] = raw[i];
        styles[cursor] = style;
        raws[cursor] = i;
      }
      cursor++;
    }
  }
  const segments = [];
  for (let k = 0; k < chars.length; k++) {
    const last = segments[segments.length - 1];
    if (last && last.style === styles[k] && raws[k] >= 0 && last.raw >= 0 && last.raw + last.text.length === raws[k]) {
      last.text += chars[k];
    } else if (last && last.style === styles[k] && raws[k] < 0 && last.raw < 0) {
      last.text += chars[k];
    } else {
      segments.push({ text: chars[k], style: styles[k], raw: raws[k] });
    }
  }
  return { segments, state: style, cut: cursor > maxChars };
}

// One line's visible segments [{text, style, raw}] (raw: the index in the line
// of the segment's first character, -1 for blanks a cursor move left), the
// state after the line, and whether it was cut at maxChars.
export function parseLine(raw, state = PLAIN, maxChars = Infinity) {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (/\r|\x08|\x1b\[[0-9;]*[KG]/.test(line)) return overwriteSegments(line, state, maxChars);
  return plainSegments(line, state, maxChars);
}

// Splits a stream of text into lines; the last, unfinished line is held back.
export class LineSplitter {
  constructor() {
    this.partial = "";
  }
  // the lines finished by this chunk (without their "\n")
  push(chunk) {
    const pieces = (this.partial + chunk).split("\n");
    this.partial = pieces.pop();
    return pieces;
  }
}

// The 256-colour palette past the first 16 (which CSS classes draw, per theme).
export function paletteRgb(n) {
  if (n < 232) {
    const i = n - 16;
    const level = (v) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey}, ${grey}, ${grey})`;
}

function styled(doc, segment) {
  const s = segment.style;
  if (s === PLAIN || sameStyle(s, PLAIN)) return doc.createTextNode(segment.text);
  const span = doc.createElement("span");
  span.textContent = segment.text;
  if (s.bold) span.classList.add("ansi-bold");
  if (s.italic) span.classList.add("ansi-italic");
  if (s.underline) span.classList.add("ansi-underline");
  for (const [key, prop] of [["fg", "color"], ["bg", "backgroundColor"]]) {
    const c = s[key];
    if (c === null) continue;
    if (typeof c === "number" && c < 16) span.classList.add(`ansi-${key}-${c}`);
    else span.style[prop] = typeof c === "number" ? paletteRgb(c) : c;
  }
  return span;
}

// The segments as DOM nodes (text nodes and spans: never HTML); the part of
// the line in raw[markFrom, markTo) is wrapped in <mark>.
export function toFragment(doc, segments, markFrom = -1, markTo = -1) {
  const fragment = doc.createDocumentFragment();
  for (const segment of segments) {
    const a = segment.raw;
    const b = a + segment.text.length;
    if (a < 0 || markTo <= a || markFrom >= b) {
      fragment.append(styled(doc, segment));
      continue;
    }
    const from = Math.max(markFrom, a) - a;
    const to = Math.min(markTo, b) - a;
    if (from > 0) fragment.append(styled(doc, { ...segment, text: segment.text.slice(0, from) }));
    const mark = doc.createElement("mark");
    mark.className = "log-match";
    mark.append(styled(doc, { ...segment, text: segment.text.slice(from, to) }));
    fragment.append(mark);
    if (to < segment.text.length) fragment.append(styled(doc, { ...segment, text: segment.text.slice(to) }));
  }
  return fragment;
}
