// Conflict Annotator span editor (Streamlit components v2).
//
// Report text is untrusted: it is only ever put on the page with createTextNode / textContent,
// never parsed as HTML. The editor proposes edits; Python validates them and sends the new
// draft back as data, which is redrawn here.
//
// Streamlit calls the default export again with the same parentElement whenever the data
// changes, so one Editor lives per parentElement and only redraws.
//
// One request is in flight at a time: an edit made meanwhile waits for the draft to come back
// (Streamlit would drop all but the last of two quick ones), and once a decision is sent
// nothing more is, until the next sentence is drawn. Given decisions (the annotate page), the
// editor owns the page's keyboard: its keys work wherever the focus is, unless someone types.
//
// Given the sentence claimed ahead (data.ahead), Accept, Reject and Skip draw it at once, in the
// same event, while the decision (naming the sentence it was made on) goes to the server. Until
// the server answers that request (data.answered), what is done on the sentence drawn ahead is
// queued, not lost, and sent once the server confirms it serves that sentence (the same
// serving); a draw from an older run is not shown. A server slower than REQUEST_TIMEOUT_MS is
// waited for, not given up on: the sentence drawn ahead and the queue stay, and the decision is
// not sent again (a second request would stop the page's run that is storing the first, at
// whatever line it has got to). When the server
// serves another sentence (the one drawn ahead was taken, the claim lapsed, the decision
// failed), the editor draws that one, drops what was queued for the other and says so.
//
// Event arguments: with a trigger selected, a role key (or chip) starts picking the entity that
// plays that role; ←/→ move between the entities the role accepts, Enter or a click adds it,
// Delete takes the entity's argument away, Esc stops. The trigger's arguments are ringed in
// their role's colour on the entities, and every trigger's are listed under the sentence.

const EDITORS = new WeakMap();
// The editors that own the page's keys (one at most is on the page).
const KEY_OWNERS = new Set();
// After this long without an answer the editor takes requests again (the page stays usable).
const REQUEST_TIMEOUT_MS = 8000;
// The decisions that end a sentence: with a sentence claimed ahead, it is drawn at once.
const ENDING = new Set(["accept", "reject", "skip"]);
const QUEUE_DROPPED =
  "What you did on the sentence shown meanwhile was not kept: the server serves another one.";
const STILL_STORING =
  "Still storing your decision on the sentence before: the server is slow. What you do here " +
  "is kept and sent once it has answered (if this stays for minutes, reload the page).";
const LOOK_AGAIN =
  "Your decision on this sentence was not sent: its suggestions changed as the one before was " +
  "stored. Look again, then decide.";

const HINT_IDLE =
  "Drag across words (or ← → and Shift+← →), then press a label key or click a label. " +
  "Tab / ↑ ↓ select spans.";

function spanKey(span) {
  return `${span.start}:${span.end}:${span.label}`;
}

function sameArgument(a, b) {
  return spanKey(a.event) === spanKey(b.event) && a.role === b.role && spanKey(a) === spanKey(b);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function isTyping(node) {
  if (!(node instanceof Element)) return false;
  const tag = node.tagName;
  const type = (node.getAttribute("type") || "text").toLowerCase();
  // A closed picker (a select box once chosen from) is not being typed in.
  if (node.getAttribute("role") === "combobox" && node.getAttribute("aria-expanded") !== "true") {
    return false;
  }
  return node.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
    (tag === "INPUT" && !["checkbox", "radio", "button", "submit", "range"].includes(type));
}

function keyOf(e) {
  return e.key.length === 1 ? e.key.toLowerCase() : "";
}

// Keys pressed outside the editor (after a click on a toggle, a button or a picker) would be
// dropped by Streamlit's shortcuts, or flip what has the focus: they go to the editor instead.
function routeKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const editor = [...KEY_OWNERS].find((owner) => owner.root.isConnected);
  if (!editor || !editor.ownsKey(keyOf(e))) return;
  const path = e.composedPath();
  if (path.includes(editor.root) || isTyping(path[0])) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  editor.root.focus({ preventScroll: true }); // the key's keyup lands here, not on a control
  editor.onKey(e);
}
window.addEventListener("keydown", routeKey, true);

// A serving of a sentence: Python names each one (a sentence served again after an undo is new).
function servingOf(d) {
  return d.serving ?? d.sentence_id;
}

function sameDraft(ahead, data) {
  const rows = (d) => JSON.stringify([d.entities, d.events, d.arguments]);
  const chosen = (d) => JSON.stringify(d.chosen ?? (d.categories ? d.categories.chosen : null));
  return rows(ahead) === rows(data) && chosen(ahead) === chosen(data);
}

function sameSpan(a, b) {
  return a && b && a.layer === b.layer && a.start === b.start && a.end === b.end && a.label === b.label;
}

class Editor {
  constructor(host) {
    this.host = host;
    this.data = null;
    this.sel = null; // {kind: "tokens", a, b} | {kind: "span", layer, start, end, label}
    this.pick = null; // picking an argument: {event: {start, end, label}, role, at: entity key}
    this.flash = null; // a one-off hint for the status line (a role key with no trigger)
    this.expect = null; // the span to select once Python sends the draft back
    this.drag = null;
    this.counter = 0;
    this.send = () => {};
    this.busy = null; // the request in flight: {kind, serving, revision, at, request}
    this.queue = []; // edits made while it is
    this.notice = null;
    // The sentence drawn ahead of the server's answer to a decision:
    // {request, serving, sentence_id, drawn, at}.
    this.ahead = null;
    this.name = Math.random().toString(36).slice(2, 10); // names this editor's requests

    this.root = el("div", "ca-editor");
    this.root.tabIndex = 0;
    this.root.setAttribute("role", "application");
    this.root.setAttribute("aria-roledescription", "span editor");
    this.root.setAttribute("aria-label", "Sentence span editor");
    this.root.dataset.testid = "span-editor";
    this.palette = el("div", "ca-palette");
    this.text = el("div", "ca-text");
    // Arabic, Hebrew or Urdu report text runs right to left: its first strong letter decides.
    this.text.dir = "auto";
    this.text.setAttribute("aria-hidden", "false");
    this.bar = el("div", "ca-bar");
    this.status = el("div", "ca-status");
    this.status.setAttribute("aria-live", "polite");
    this.actions = el("div", "ca-actions");
    this.bar.append(this.status, this.actions);
    // Decisions and labels above the sentence: they keep their place whatever its length.
    this.decisions = el("div", "ca-decisions");
    // Every trigger's arguments, as a list under the sentence.
    this.args = el("div", "ca-args");
    this.args.dataset.testid = "arguments";
    this.root.append(this.decisions, this.palette, this.text, this.args, this.bar);
    host.appendChild(this.root);

    this.root.addEventListener("keydown", (e) => this.onKey(e));
    this.text.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    this.text.addEventListener("pointermove", (e) => this.onPointerMove(e));
    this.onPointerUp = this.onPointerUp.bind(this);
    window.addEventListener("pointerup", this.onPointerUp);
  }

  // --- data -----------------------------------------------------------------------------

  update(data) {
    const ahead = this.ahead;
    let notice = null;
    if (ahead) {
      // A run that began before the decision was sent: the sentence drawn ahead stays.
      if (data.answered !== ahead.request) return;
      this.ahead = null;
      const confirmed = servingOf(data) === ahead.serving && data.sentence_id === ahead.sentence_id;
      const deciding = (entry) => entry.kind === "decide";
      const same = confirmed && sameDraft(ahead.drawn, data) && data.text === ahead.drawn.text;
      if (confirmed && !same && this.queue.some(deciding)) {
        this.queue = this.queue.filter((entry) => !deciding(entry));
        notice = LOOK_AGAIN;
      } else if (!confirmed && this.queue.length) {
        notice = QUEUE_DROPPED;
      }
      // The sentence as drawn ahead is the server's: its words stay as they are on the page.
      this.draw(data, { notice, drawn: same });
      return;
    }
    this.draw(data);
  }

  // Draw what the server sent; ``local``: the sentence drawn ahead, before the server answers;
  // ``drawn``: the sentence's text and spans are on the page already.
  draw(data, { local = false, notice = null, drawn = false } = {}) {
    const selected = () => JSON.stringify([this.sel, this.pick]);
    const shown = selected();
    const fresh = !this.data || servingOf(this.data) !== servingOf(data);
    const answered = !local && this.busy &&
      (servingOf(data) !== this.busy.serving || data.revision !== this.busy.revision);
    this.data = data;
    this.tokens = data.tokens || [];
    this.labels = data.labels || [];
    this.byKey = new Map(this.labels.map((label) => [String(label.key).toLowerCase(), label]));
    this.byName = new Map(this.labels.map((label) => [label.name, label]));
    this.categories = (data.categories && data.categories.labels) || [];
    this.chosen = new Set((data.categories && data.categories.chosen) || []);
    this.byCategoryKey = new Map(this.categories.map((c) => [String(c.key).toLowerCase(), c]));
    this.roles = data.roles || [];
    this.byRoleKey = new Map(this.roles.map((role) => [String(role.key).toLowerCase(), role]));
    this.byRole = new Map(this.roles.map((role) => [role.name, role]));
    this.arguments = data.arguments || [];
    this.decisionList = data.decisions || [];
    this.byDecisionKey = new Map(
      this.decisionList.filter((d) => d.key).map((d) => [String(d.key).toLowerCase(), d]),
    );
    if (this.decisionList.length) KEY_OWNERS.add(this);
    else KEY_OWNERS.delete(this);
    this.notice = [data.notice, notice].filter(Boolean).join(" ") || null;
    this.spans = [];
    for (const layer of ["entities", "events"]) {
      (data[layer] || []).forEach((row, index) => {
        const [a, b] = this.tokenRange(row.start, row.end);
        this.spans.push({ ...row, layer, index, a, b });
      });
    }
    this.spans.sort((x, y) => x.start - y.start || x.end - y.end || (x.layer < y.layer ? -1 : 1));
    this.tracks = this.eventTracks();
    if (fresh) {
      this.sel = null;
      this.expect = null;
      this.pick = null;
      this.flash = null;
    } else if (this.expect) {
      const found = this.spans.find((span) => sameSpan(span, this.expect));
      if (found) this.sel = this.spanSel(found);
      // Unless the edit that makes it is still queued (made on the sentence drawn ahead).
      if (found || !this.queue.length) this.expect = null;
    }
    if (this.sel && this.sel.kind === "span" && !this.findSpan(this.sel)) this.sel = null;
    if (this.pick && !sameSpan({ ...this.pick.event, layer: "events" }, this.findSpan(this.sel))) {
      this.pick = null;
    }
    if (!local && (answered || fresh)) this.busy = null;
    if (!local && fresh) this.queue = [];
    this.render({ text: !drawn || selected() !== shown });
    if (!this.busy && this.queue.length) this.dispatch(this.queue.shift());
    this.markState();
    // A new sentence takes the keyboard (unless someone is typing elsewhere), so a whole
    // sentence can be done without the mouse; otherwise only take focus nobody holds.
    const active = document.activeElement;
    if (!active || active === document.body || (fresh && !isTyping(active))) {
      this.root.focus({ preventScroll: true });
    }
  }

  tokenRange(start, end) {
    let a = -1;
    let b = -1;
    this.tokens.forEach(([s, e], i) => {
      if (s < end && start < e) {
        if (a < 0) a = i;
        b = i;
      }
    });
    return [a, b];
  }

  eventTracks() {
    // Overlapping event triggers get different underline tracks so each stays visible.
    const tracks = new Map();
    const ends = [];
    for (const span of this.spans.filter((s) => s.layer === "events")) {
      let track = ends.findIndex((end) => end <= span.start);
      if (track < 0) track = ends.length;
      ends[track] = span.end;
      tracks.set(span, track);
    }
    return tracks;
  }

  spanSel(span) {
    return { kind: "span", layer: span.layer, start: span.start, end: span.end, label: span.label };
  }

  findSpan(sel) {
    return sel && sel.kind === "span" ? this.spans.find((span) => sameSpan(span, sel)) : undefined;
  }

  colour(name) {
    const label = this.byName.get(name);
    return label ? label.colour : "#888888";
  }

  roleStyle(node, name) {
    const role = this.byRole.get(name);
    node.style.setProperty("--r", role ? role.colour : "#4b5563");
    node.style.setProperty("--ri", role ? role.ink : "#ffffff");
  }

  // The selected span when it is an event trigger (whose arguments are drawn and edited).
  trigger() {
    const span = this.findSpan(this.sel);
    return span && span.layer === "events" ? span : undefined;
  }

  argumentsOf(event) {
    const key = spanKey(event);
    const order = (name) => {
      const at = this.roles.findIndex((role) => role.name === name);
      return at < 0 ? this.roles.length : at;
    };
    return this.arguments
      .filter((argument) => spanKey(argument.event) === key)
      .sort((x, y) => order(x.role) - order(y.role) || x.start - y.start);
  }

  entityOf(row) {
    return this.spans.find((s) => s.layer === "entities" && spanKey(s) === spanKey(row));
  }

  // The entities the role being picked accepts, in reading order.
  candidates() {
    if (!this.pick) return [];
    const role = this.byRole.get(this.pick.role);
    const accepts = role && role.accepts && role.accepts.length ? new Set(role.accepts) : null;
    return this.spans.filter(
      (s) => s.layer === "entities" && s.a >= 0 && (!accepts || accepts.has(s.label)),
    );
  }

  // --- drawing --------------------------------------------------------------------------

  render({ text = true } = {}) {
    this.renderDecisions();
    this.renderPalette();
    if (text) this.renderText();
    this.renderArguments();
    this.renderBar();
  }

  renderPalette() {
    const target = this.sel ? (this.sel.kind === "span" ? "relabel" : "add") : null;
    this.palette.replaceChildren();
    for (const [layer, title] of [["entities", "Entities"], ["events", "Events"]]) {
      const group = el("div", `ca-group ca-group-${layer}`);
      group.append(el("span", "ca-group-title", title));
      for (const label of this.labels.filter((l) => l.layer === layer)) {
        const chip = el("button", `ca-chip ca-chip-${layer}`);
        chip.type = "button";
        chip.tabIndex = -1;
        chip.dataset.label = label.name;
        chip.style.setProperty("--c", label.colour);
        chip.title = `${label.description} (key ${label.key})`;
        chip.disabled = !target;
        const current = this.findSpan(this.sel);
        if (current && current.label === label.name) chip.classList.add("ca-current");
        chip.append(el("kbd", "ca-key", label.key), el("span", "ca-name", label.name));
        chip.addEventListener("pointerdown", (e) => e.preventDefault()); // keep focus on the editor
        chip.addEventListener("click", () => {
          this.applyLabel(label);
          this.root.focus({ preventScroll: true });
        });
        group.append(chip);
      }
      this.palette.append(group);
    }
    if (this.roles.length) this.palette.append(this.roleGroup());
    if (this.categories.length) this.palette.append(this.categoryGroup());
  }

  roleGroup() {
    const group = el("div", "ca-group ca-group-roles");
    group.append(el("span", "ca-group-title", "Roles"));
    const trigger = this.trigger();
    for (const role of this.roles) {
      const chip = el("button", "ca-chip ca-chip-roles");
      chip.type = "button";
      chip.tabIndex = -1;
      chip.dataset.role = role.name;
      this.roleStyle(chip, role.name);
      chip.title = `${role.description} (key ${role.key}; takes ${role.accepts.join(", ")})`;
      chip.disabled = !trigger;
      if (this.pick && this.pick.role === role.name) chip.classList.add("ca-current");
      chip.append(el("kbd", "ca-key", role.key), el("span", "ca-name", role.name));
      chip.addEventListener("pointerdown", (e) => e.preventDefault());
      chip.addEventListener("click", () => {
        this.startPick(role);
        this.root.focus({ preventScroll: true });
      });
      group.append(chip);
    }
    return group;
  }

  categoryGroup() {
    const group = el("div", "ca-group ca-group-categories");
    group.append(el("span", "ca-group-title", "Categories"));
    for (const category of this.categories) {
      const on = this.chosen.has(category.name);
      const chip = el("button", `ca-chip ca-chip-categories${on ? " ca-on" : ""}`);
      chip.type = "button";
      chip.tabIndex = -1;
      chip.dataset.category = category.name;
      chip.setAttribute("aria-pressed", String(on));
      chip.style.setProperty("--c", category.colour);
      chip.title = `${category.description} (key ${category.key})`;
      chip.append(el("kbd", "ca-key", category.key), el("span", "ca-name", category.name));
      chip.addEventListener("pointerdown", (e) => e.preventDefault());
      chip.addEventListener("click", () => {
        this.toggleCategory(category);
        this.root.focus({ preventScroll: true });
      });
      group.append(chip);
    }
    return group;
  }

  renderDecisions() {
    this.decisions.replaceChildren();
    this.decisions.hidden = !this.decisionList.length;
    // Waiting on a decision, unless the sentence after it is drawn already (presses queue).
    const waiting = Boolean(this.busy && this.busy.kind === "decide" && !this.ahead);
    for (const decision of this.decisionList) {
      const button = el("button", `ca-decision ca-decision-${decision.action}`);
      button.type = "button";
      button.tabIndex = -1;
      button.dataset.action = decision.action;
      button.disabled = waiting;
      button.append(el("span", "ca-name", decision.title));
      if (decision.key) button.append(el("kbd", "ca-key", decision.key === " " ? "Space" : decision.key));
      button.addEventListener("pointerdown", (e) => e.preventDefault());
      button.addEventListener("click", () => {
        this.decide(decision);
        this.root.focus({ preventScroll: true });
      });
      this.decisions.append(button);
    }
    this.root.classList.toggle("ca-waiting", waiting);
  }

  renderText() {
    const text = this.data.text || "";
    const entities = this.spans.filter((s) => s.layer === "entities" && s.a >= 0);
    const events = this.spans.filter((s) => s.layer === "events" && s.a >= 0);
    const selected = this.findSpan(this.sel);
    const pending = this.sel && this.sel.kind === "tokens"
      ? [Math.min(this.sel.a, this.sel.b), Math.max(this.sel.a, this.sel.b)]
      : null;
    const entityAt = (i) => entities.find((s) => s.a <= i && i <= s.b);
    const eventsAt = (i) => events.filter((s) => s.a <= i && i <= s.b);
    // The selected trigger's arguments, by entity: each entity plays one role per event.
    const trigger = selected && selected.layer === "events" ? selected : null;
    const roleOf = new Map(
      trigger ? this.argumentsOf(trigger).map((argument) => [spanKey(argument), argument]) : [],
    );
    const candidates = new Set(this.candidates().map(spanKey));
    const at = this.pick ? this.pick.at : null;
    this.root.classList.toggle("ca-picking", Boolean(this.pick));

    const frag = document.createDocumentFragment();
    let container = frag;
    let mark = null;
    let cursor = 0;
    this.tokens.forEach(([start, end], i) => {
      const entity = entityAt(i);
      // The gap before this token belongs inside an entity box or an event underline only
      // when the token before it shares that span.
      if (start > cursor) {
        const gap = el("span", "ca-gap", text.slice(cursor, start));
        const shared = i > 0 ? eventsAt(i).filter((s) => s.a < i) : [];
        this.underline(gap, shared);
        if (pending && pending[0] < i && i <= pending[1]) gap.classList.add("ca-pending");
        if (selected && selected.layer === "events" && selected.a < i && i <= selected.b) {
          gap.classList.add("ca-ev-selected");
        }
        (mark && entity && entity.a < i ? container : frag).append(gap);
      }
      if (mark && (!entity || entity.a === i)) {
        container = frag;
        mark = null;
      }
      if (entity && entity.a === i) {
        mark = el("mark", "ca-ent");
        mark.style.setProperty("--c", this.colour(entity.label));
        mark.dataset.span = `${entity.layer}:${entity.index}`;
        if (entity.suggested) mark.classList.add("ca-suggested");
        if (entity === selected) mark.classList.add("ca-selected");
        const argument = roleOf.get(spanKey(entity));
        if (argument) {
          // The role's tag is drawn by CSS from data-role: the sentence's text stays its own.
          mark.classList.add("ca-arg");
          if (argument.suggested) mark.classList.add("ca-arg-suggested");
          mark.dataset.role = argument.role + (argument.suggested ? "?" : "");
          this.roleStyle(mark, argument.role);
          mark.title = `${argument.role} of “${text.slice(trigger.start, trigger.end)}”` +
            (argument.suggested ? " (suggested, not confirmed)" : "");
        }
        if (this.pick) {
          if (candidates.has(spanKey(entity))) mark.classList.add("ca-cand");
          if (at === spanKey(entity)) {
            mark.classList.add("ca-cand-at");
            mark.style.setProperty("--p", (this.byRole.get(this.pick.role) || {}).colour || "#1d4ed8");
          }
        }
        frag.append(mark);
        container = mark;
      }
      const token = el("span", "ca-tok", text.slice(start, end));
      token.dataset.t = String(i);
      this.underline(token, eventsAt(i));
      if (pending && pending[0] <= i && i <= pending[1]) token.classList.add("ca-pending");
      if (selected && selected.layer === "events" && selected.a <= i && i <= selected.b) {
        token.classList.add("ca-ev-selected");
      }
      container.append(token);
      for (const event of events.filter((s) => s.b === i)) {
        container.append(this.badge(event, event === selected));
      }
      if (entity && entity.b === i) {
        container.append(this.badge(entity, entity === selected));
        container = frag;
        mark = null;
      }
      cursor = end;
    });
    if (cursor < text.length) frag.append(el("span", "ca-gap", text.slice(cursor)));
    this.text.replaceChildren(frag);
  }

  underline(node, events) {
    if (!events.length) return;
    const shadows = events
      .map((span) => `inset 0 -${3 * (this.tracks.get(span) + 1)}px 0 0 ${this.colour(span.label)}`)
      .reverse();
    node.style.boxShadow = shadows.join(", ");
    node.classList.add("ca-ev");
  }

  badge(span, isSelected) {
    const badge = el("span", span.layer === "entities" ? "ca-badge ca-badge-ent" : "ca-badge ca-badge-ev");
    badge.style.setProperty("--c", this.colour(span.label));
    badge.dataset.span = `${span.layer}:${span.index}`;
    // The label is English whatever the sentence: its own run, so "?" stays after it and the
    // label's letters do not count towards the sentence's direction.
    const name = el("span", "ca-badge-name", span.label + (span.suggested ? "?" : ""));
    name.dir = "ltr";
    badge.append(name);
    badge.title = `${span.layer === "entities" ? "Entity" : "Event"} ${span.label}` +
      (span.suggested ? " (suggested, not confirmed)" : "");
    if (isSelected) badge.classList.add("ca-selected");
    return badge;
  }

  renderArguments() {
    const text = this.data.text || "";
    this.args.replaceChildren();
    const events = this.spans.filter((s) => s.layer === "events" && s.a >= 0);
    this.args.hidden = !this.roles.length || !events.length;
    if (this.args.hidden) return;
    const selected = this.trigger();
    for (const event of events) {
      const row = el("div", "ca-arg-row");
      row.dataset.event = spanKey(event);
      if (event === selected) row.classList.add("ca-arg-row-selected");
      const head = el("span", "ca-arg-trigger");
      head.style.setProperty("--c", this.colour(event.label));
      const name = el("span", "ca-arg-label", event.label + (event.suggested ? "?" : ""));
      name.dir = "ltr";
      head.append(name, this.words(text.slice(event.start, event.end)));
      row.append(head);
      const found = this.argumentsOf(event);
      if (!found.length) {
        row.append(el("span", "ca-hint", event === selected
          ? "no arguments: press a role key, then pick an entity"
          : "no arguments"));
      }
      found.forEach((argument, number) => {
        if (number) row.append(el("span", "ca-arg-sep", "·"));
        row.append(this.argumentItem(argument, text));
      });
      row.addEventListener("pointerdown", (e) => e.preventDefault());
      row.addEventListener("click", () => {
        this.pick = null;
        this.sel = this.spanSel(event);
        this.render();
        this.root.focus({ preventScroll: true });
      });
      this.args.append(row);
    }
  }

  argumentItem(argument, text) {
    const item = el("span", "ca-arg-item");
    if (argument.suggested) item.classList.add("ca-suggested");
    this.roleStyle(item, argument.role);
    item.dataset.argument = `${argument.role}:${spanKey(argument)}`;
    const tag = el("span", "ca-role-tag", argument.role + (argument.suggested ? "?" : ""));
    tag.dir = "ltr";
    item.append(tag, this.words(text.slice(argument.start, argument.end)));
    item.title = `${argument.role}: ${text.slice(argument.start, argument.end)}` +
      (argument.suggested ? " (suggested, not confirmed)" : "");
    const button = (cls, label, title, action) => {
      const node = el("button", cls, label);
      node.type = "button";
      node.tabIndex = -1;
      node.title = title;
      node.setAttribute("aria-label", title);
      node.addEventListener("pointerdown", (e) => e.preventDefault());
      node.addEventListener("click", (e) => {
        e.stopPropagation();
        this.emitArgument(action, argument);
        this.root.focus({ preventScroll: true });
      });
      return node;
    };
    const words = `${argument.role} “${text.slice(argument.start, argument.end)}”`;
    if (argument.suggested) item.append(button("ca-arg-confirm", "✓", `Confirm ${words}`, "add_argument"));
    item.append(button("ca-arg-remove", "×", `Remove ${words}`, "remove_argument"));
    return item;
  }

  renderBar() {
    const text = this.data.text || "";
    this.status.replaceChildren();
    this.actions.replaceChildren();
    this.root.classList.toggle("ca-has-error", Boolean(this.data.message));
    if (this.data.message) {
      this.status.append(el("span", "ca-error", this.data.message));
      return;
    }
    if (this.flash) {
      this.status.append(el("span", "ca-flash", this.flash));
      this.flash = null;
      return;
    }
    const span = this.findSpan(this.sel);
    if (this.pick && span) {
      this.pickBar(span, text);
      return;
    }
    if (span) {
      const kind = span.layer === "entities" ? "entity" : "event";
      this.status.append(
        el("span", "ca-pill", span.label),
        this.quote(text.slice(span.start, span.end)),
        // What the last edit did (an argument added to this trigger), else what the keys do.
        this.notice ? el("span", "ca-notice", this.notice) : el("span", "ca-hint",
          `${kind}${span.suggested ? ", suggested" : ""}: a label key relabels, ` +
          (span.layer === "events" && this.roles.length
            ? `a role key (${this.roles.map((r) => `${r.key} ${r.name}`).join(", ")}) adds an argument, `
            : "") +
          "Delete removes, Esc deselects"),
      );
      const remove = el("button", "ca-remove", "Delete span");
      remove.type = "button";
      remove.tabIndex = -1;
      remove.addEventListener("pointerdown", (e) => e.preventDefault());
      remove.addEventListener("click", () => {
        this.removeSelected();
        this.root.focus({ preventScroll: true });
      });
      this.actions.append(remove);
    } else if (this.sel && this.sel.kind === "tokens") {
      const [a, b] = [Math.min(this.sel.a, this.sel.b), Math.max(this.sel.a, this.sel.b)];
      this.status.append(
        el("span", "ca-pill ca-pill-new", "new span"),
        this.quote(text.slice(this.tokens[a][0], this.tokens[b][1])),
        el("span", "ca-hint", "press a label key or click a label · Shift+← → resizes · Esc cancels"),
      );
    } else if (this.notice) {
      this.status.append(el("span", "ca-notice", this.notice));
    } else {
      this.status.append(el("span", "ca-hint", HINT_IDLE));
    }
  }

  pickBar(trigger, text) {
    const role = this.byRole.get(this.pick.role);
    const pill = el("span", "ca-pill ca-pill-role", `${this.pick.role} of`);
    this.roleStyle(pill, this.pick.role);
    this.status.append(pill, this.quote(text.slice(trigger.start, trigger.end)));
    const candidates = this.candidates();
    if (!candidates.length) {
      const wanted = role && role.accepts.length ? role.accepts.join(", ") : "entity";
      this.status.append(el("span", "ca-flash",
        `no ${wanted} span here to be ${this.pick.role}: mark one first · Esc cancels`));
      return;
    }
    const current = candidates.find((s) => spanKey(s) === this.pick.at);
    if (current) {
      this.status.append(el("span", "ca-hint", "→"), this.quote(text.slice(current.start, current.end)));
    }
    this.status.append(el("span", "ca-hint",
      "← → choose · Enter or click adds · Delete removes · Esc cancels"));
  }

  words(words) {
    const node = el("span", "ca-arg-words", words);
    node.dir = "auto";
    return node;
  }

  quote(words) {
    const quote = el("q", "ca-quote", words);
    quote.dir = "auto";
    return quote;
  }

  // --- edits ----------------------------------------------------------------------------

  emit(edit) {
    this.request({ kind: "edit", event: "edit", payload: edit });
  }

  toggleCategory(category) {
    this.request({ kind: "edit", event: "category", payload: { label: category.name } });
  }

  decide(decision) {
    // "confirm" changes the draft; the others end the sentence (or, undo, bring one back).
    const kind = decision.action === "confirm" ? "edit" : "decide";
    this.request({ kind, event: "decide", payload: { action: decision.action } });
  }

  request(item) {
    const deciding = (entry) => entry && entry.kind === "decide";
    // On the sentence drawn ahead, presses queue until the server confirms it, however long
    // that takes; otherwise after REQUEST_TIMEOUT_MS the editor takes requests again.
    const live = Boolean(this.ahead) ||
      Boolean(this.busy && Date.now() - this.busy.at < REQUEST_TIMEOUT_MS);
    if (deciding(this.busy) && live && !this.ahead) return;
    if (this.queue.some(deciding)) return; // after a decision, nothing more for this sentence
    // Each names the sentence it was made on, whenever it is sent.
    const named = { ...item, sentence_id: this.data.sentence_id };
    if (live) {
      this.queue.push(named);
      return;
    }
    this.dispatch(named);
  }

  dispatch(item) {
    this.notice = null;
    this.counter += 1;
    const request = `${this.name}-${this.counter}`;
    this.busy = {
      kind: item.kind,
      serving: servingOf(this.data),
      revision: this.data.revision,
      at: Date.now(),
      request,
    };
    const sentence = item.sentence_id ?? this.data.sentence_id;
    this.send(item.event, { ...item.payload, sentence_id: sentence, seq: this.counter, request });
    const next = this.data.ahead;
    if (item.kind === "decide" && ENDING.has(item.payload.action) && next &&
        sentence === this.data.sentence_id) {
      this.showAhead(next, request);
    } else if (item.kind === "decide") {
      this.renderDecisions();
    }
    this.markState();
  }

  // What the editor waits for, for whoever watches the page (a benchmark, a load test):
  // "idle", "busy" (a request in flight) or "ahead" (the next sentence drawn, unconfirmed).
  markState() {
    this.root.dataset.state = this.ahead ? "ahead" : this.busy || this.queue.length ? "busy" : "idle";
  }

  // Draw the sentence claimed ahead at once, as the server will serve it unless it says otherwise.
  showAhead(next, request) {
    const data = this.data;
    this.ahead = {
      request,
      serving: next.serving,
      sentence_id: next.sentence_id,
      drawn: next,
      at: Date.now(),
    };
    this.draw({
      ...data,
      sentence_id: next.sentence_id,
      text: next.text,
      tokens: next.tokens,
      entities: next.entities,
      events: next.events,
      arguments: next.arguments,
      serving: next.serving,
      revision: 0,
      message: null,
      notice: null,
      ahead: null,
      categories: data.categories ? { labels: data.categories.labels, chosen: next.chosen } : null,
    }, { local: true });
    setTimeout(() => this.aheadTimedOut(request), REQUEST_TIMEOUT_MS);
  }

  // No answer to the decision in time: the server is slow. Say so and go on waiting; the
  // sentence drawn ahead and what was queued on it stay.
  aheadTimedOut(request) {
    const ahead = this.ahead;
    if (!ahead || ahead.request !== request || !this.root.isConnected) return;
    this.notice = STILL_STORING;
    this.renderBar();
  }

  applyLabel(label) {
    const span = this.findSpan(this.sel);
    if (span) {
      this.expect = { layer: label.layer, start: span.start, end: span.end, label: label.name };
      this.emit({ action: "relabel", layer: span.layer, index: span.index, start: span.start, end: span.end, label: label.name });
    } else if (this.sel && this.sel.kind === "tokens") {
      const [a, b] = [Math.min(this.sel.a, this.sel.b), Math.max(this.sel.a, this.sel.b)];
      const start = this.tokens[a][0];
      const end = this.tokens[b][1];
      this.expect = { layer: label.layer, start, end, label: label.name };
      this.emit({ action: "add", start, end, label: label.name });
    }
  }

  emitArgument(action, argument) {
    const { event, role, start, end, label } = argument;
    this.emit({ action, event: { start: event.start, end: event.end, label: event.label }, role, start, end, label });
  }

  startPick(role) {
    const trigger = this.trigger();
    if (!trigger) {
      this.pick = null;
      this.flash = `Select an event trigger first (Tab to it or click its word), then press ${role.key} for ${role.name}.`;
      this.render();
      return;
    }
    const event = { start: trigger.start, end: trigger.end, label: trigger.label };
    this.pick = { event, role: role.name, at: null };
    const candidates = this.candidates();
    const playing = this.argumentsOf(trigger).find((argument) => argument.role === role.name);
    const kept = this.pick && candidates.find((s) => spanKey(s) === (playing ? spanKey(playing) : null));
    // Start on the entity already in that role, else on the one nearest the trigger.
    const distance = (s) => Math.min(Math.abs(s.a - trigger.b), Math.abs(s.b - trigger.a));
    const nearest = [...candidates].sort((x, y) => distance(x) - distance(y) || x.a - y.a)[0];
    const start = kept || nearest;
    this.pick.at = start ? spanKey(start) : null;
    this.render();
  }

  movePick(dir, toEnd) {
    const candidates = this.candidates();
    if (!candidates.length) return;
    let i = candidates.findIndex((s) => spanKey(s) === this.pick.at);
    if (toEnd) i = dir > 0 ? candidates.length - 1 : 0;
    else i = i < 0 ? 0 : (i + dir + candidates.length) % candidates.length;
    this.pick.at = spanKey(candidates[i]);
    this.render();
  }

  commitPick(entity) {
    if (!this.pick || !entity) return;
    const { event, role } = this.pick;
    this.pick = null;
    this.emitArgument("add_argument", { event, role, start: entity.start, end: entity.end, label: entity.label });
    this.render();
  }

  removePicked() {
    const entity = this.spans.find((s) => s.layer === "entities" && spanKey(s) === this.pick.at);
    const trigger = this.trigger();
    const argument = entity && trigger &&
      this.argumentsOf(trigger).find((a) => spanKey(a) === spanKey(entity));
    if (!argument) {
      this.flash = "That entity is no argument of this trigger: nothing to remove.";
      this.render();
      return;
    }
    this.pick = null;
    this.emitArgument("remove_argument", argument);
    this.render();
  }

  removeSelected() {
    const span = this.findSpan(this.sel);
    if (!span) return false;
    this.sel = span.a >= 0 ? { kind: "tokens", a: span.a, b: span.a } : null;
    this.emit({ action: "remove", layer: span.layer, index: span.index, start: span.start, end: span.end });
    return true;
  }

  // --- keyboard -------------------------------------------------------------------------

  ownsKey(key) {
    return Boolean(key) &&
      (this.byKey.has(key) || this.byCategoryKey.has(key) || this.byDecisionKey.has(key) ||
        this.byRoleKey.has(key));
  }

  onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || !this.data) return;
    if (!["Shift", "Control", "Alt", "Meta"].includes(e.key)) this.notice = null;
    const stop = () => {
      e.preventDefault();
      e.stopPropagation(); // a label key must not also reach the page's shortcuts
    };
    const key = keyOf(e);
    const role = this.byRoleKey.get(key);
    if (role) {
      stop();
      this.startPick(role);
      return;
    }
    if (this.pick && this.onPickKey(e, stop)) return;
    const label = this.byKey.get(key);
    if (label) {
      stop();
      this.pick = null;
      this.applyLabel(label);
      return;
    }
    const category = this.byCategoryKey.get(key);
    if (category) {
      stop();
      this.toggleCategory(category);
      return;
    }
    const decision = this.byDecisionKey.get(key);
    if (decision) {
      stop();
      if (!e.repeat) this.decide(decision); // a key held down decides once
      return;
    }
    switch (e.key) {
      case "ArrowRight":
      case "ArrowLeft": {
        stop();
        // The arrows move the way they point: in a right-to-left sentence, left is onwards.
        const onwards = (e.key === "ArrowRight") !== this.rightToLeft();
        this.moveCursor(onwards ? 1 : -1, e.shiftKey);
        break;
      }
      case "Home":
      case "End":
        if (!this.tokens.length) return;
        stop();
        this.setTokens(e.key === "Home" ? 0 : this.tokens.length - 1, e.shiftKey);
        break;
      case "Tab":
        if (this.stepSpan(e.shiftKey ? -1 : 1)) stop(); // at either end Tab leaves the editor
        break;
      case "ArrowDown":
      case "ArrowUp":
        stop();
        this.stepSpan(e.key === "ArrowDown" ? 1 : -1);
        break;
      case "Delete":
      case "Backspace":
        stop();
        if (this.removeSelected()) this.render();
        break;
      case "Escape":
        if (this.sel) {
          stop();
          this.sel = null;
          this.render();
        }
        break;
      case " ":
        e.preventDefault(); // no page scroll; the Skip shortcut still hears it
        break;
      default:
    }
  }

  // The keys of picking an argument's entity; true when the key was one of them.
  onPickKey(e, stop) {
    switch (e.key) {
      case "ArrowRight":
      case "ArrowLeft": {
        stop();
        const onwards = (e.key === "ArrowRight") !== this.rightToLeft();
        this.movePick(onwards ? 1 : -1, false);
        return true;
      }
      case "ArrowDown":
      case "ArrowUp":
        stop();
        this.movePick(e.key === "ArrowDown" ? 1 : -1, false);
        return true;
      case "Tab":
        stop();
        this.movePick(e.shiftKey ? -1 : 1, false);
        return true;
      case "Home":
      case "End":
        stop();
        this.movePick(e.key === "End" ? 1 : -1, true);
        return true;
      case "Enter":
        stop();
        if (!e.repeat) {
          this.commitPick(this.candidates().find((s) => spanKey(s) === this.pick.at));
        }
        return true;
      case "Delete":
      case "Backspace":
        stop();
        this.removePicked();
        return true;
      case "Escape":
        stop();
        this.pick = null;
        this.render();
        return true;
      default:
        return false;
    }
  }

  rightToLeft() {
    return getComputedStyle(this.text).direction === "rtl";
  }

  setTokens(i, extend) {
    const anchor = this.sel && this.sel.kind === "tokens" ? this.sel.a : i;
    this.sel = { kind: "tokens", a: extend ? anchor : i, b: i };
    this.render();
  }

  moveCursor(dir, extend) {
    const last = this.tokens.length - 1;
    if (last < 0) return;
    const clamp = (i) => Math.max(0, Math.min(last, i));
    const span = this.findSpan(this.sel);
    if (span) {
      const i = clamp(dir > 0 ? span.b + 1 : span.a - 1);
      this.sel = { kind: "tokens", a: extend ? (dir > 0 ? span.a : span.b) : i, b: i };
    } else if (this.sel && this.sel.kind === "tokens") {
      const i = clamp(this.sel.b + dir);
      this.sel = { kind: "tokens", a: extend ? this.sel.a : i, b: i };
    } else {
      const i = dir > 0 ? 0 : last;
      this.sel = { kind: "tokens", a: i, b: i };
    }
    this.render();
  }

  stepSpan(dir) {
    if (!this.spans.length) return false;
    const current = this.findSpan(this.sel);
    let next;
    if (current) {
      next = this.spans[this.spans.indexOf(current) + dir];
    } else if (this.sel && this.sel.kind === "tokens") {
      const at = Math.min(this.sel.a, this.sel.b);
      next = dir > 0
        ? this.spans.find((s) => s.a >= at)
        : [...this.spans].reverse().find((s) => s.b < at);
    } else {
      next = dir > 0 ? this.spans[0] : this.spans[this.spans.length - 1];
    }
    if (!next) return false;
    this.sel = this.spanSel(next);
    this.render();
    return true;
  }

  // --- mouse ----------------------------------------------------------------------------

  spanFromNode(node) {
    const holder = node.closest("[data-span]");
    if (!holder || !holder.classList.contains("ca-badge")) return undefined;
    const [layer, index] = holder.dataset.span.split(":");
    return this.spans.find((s) => s.layer === layer && s.index === Number(index));
  }

  onPointerDown(e) {
    if (e.button !== 0 || !this.data) return;
    this.notice = null;
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    e.preventDefault(); // no native text selection; focus goes to the editor instead
    this.root.focus({ preventScroll: true });
    if (this.pick) {
      // Picking an argument: a click on an entity (its words or its badge) gives it the role.
      const badge = this.spanFromNode(target);
      const word = target.closest("[data-t]");
      const i = word ? Number(word.dataset.t) : -1;
      const entity = badge && badge.layer === "entities" ? badge
        : this.spans.find((s) => s.layer === "entities" && s.a <= i && i <= s.b);
      if (entity) {
        this.commitPick(entity);
        return;
      }
      this.pick = null;
    }
    const span = this.spanFromNode(target);
    if (span) {
      this.sel = this.spanSel(span);
      this.render();
      return;
    }
    const token = target.closest("[data-t]");
    if (!token) return;
    const i = Number(token.dataset.t);
    this.drag = { a: i, b: i, moved: false };
  }

  onPointerMove(e) {
    if (!this.drag) return;
    const target = e.target instanceof Element ? e.target.closest("[data-t]") : null;
    if (!target) return;
    const i = Number(target.dataset.t);
    if (i === this.drag.b) return;
    this.drag.b = i;
    this.drag.moved = true;
    this.sel = { kind: "tokens", a: this.drag.a, b: i };
    this.render();
  }

  onPointerUp() {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    if (drag.moved) {
      this.sel = { kind: "tokens", a: drag.a, b: drag.b };
    } else {
      // A click on a word selects the spans on it in turn (entity first, then events);
      const here = this.spans.filter((s) => s.a <= drag.a && drag.a <= s.b)
        .sort((x, y) => (x.layer === y.layer ? 0 : x.layer === "entities" ? -1 : 1));
      // on a word without spans it starts a one-word span, and so does the last click of a
      // cycle, so that an event can be started on a word inside an entity.
      const current = this.findSpan(this.sel);
      const onWord = this.sel && this.sel.kind === "tokens" && this.sel.a === drag.a && this.sel.b === drag.a;
      const at = current ? here.indexOf(current) : onWord ? here.length : -1;
      const next = (at + 1) % (here.length + 1);
      this.sel = next < here.length
        ? this.spanSel(here[next])
        : { kind: "tokens", a: drag.a, b: drag.a };
    }
    this.render();
  }
}

export default function spanEditor(component) {
  const { data, parentElement, setTriggerValue } = component;
  let editor = EDITORS.get(parentElement);
  if (!editor) {
    editor = new Editor(parentElement);
    EDITORS.set(parentElement, editor);
  }
  editor.send = setTriggerValue;
  editor.update(data || {});
  // Streamlit may also run this for a superseded call while the editor stays on the page,
  // so tear down only once it has really left the document.
  return () => {
    setTimeout(() => {
      if (parentElement.isConnected) return;
      window.removeEventListener("pointerup", editor.onPointerUp);
      KEY_OWNERS.delete(editor);
      EDITORS.delete(parentElement);
    }, 0);
  };
}
