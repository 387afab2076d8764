/*!
 * Kommunallotse chat widget: plain JavaScript, no dependencies, no requests to third parties.
 *
 * Embed with one script tag:
 *   <script src="https://lotse.example/static/widget/kommunallotse.js"
 *           data-server-url="https://lotse.example" data-title="Kommunallotse"
 *           data-color="#0b5394" defer></script>
 *
 * Talks to the web app: POST /chat, GET /chat/{id}/verlauf, DELETE /chat/{id}.
 * Bot and user text is always put into the page as text nodes; the tiny Markdown subset
 * (**bold**, *italic*, http(s) links) is parsed into DOM nodes, never into HTML strings.
 * The browser keeps only the random conversation id (localStorage).
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------
  // All German text of the widget, in one place. {name} is replaced by a value.
  // ---------------------------------------------------------------------------------------
  var TEXTS = {
    defaultTitle: "Kommunallotse",
    launcherHint: "Chat öffnen",
    dialogLabel: "{title} – Chat",
    close: "Chat schließen",
    deleteButton: "Gespräch löschen",
    confirmTitle: "Gespräch löschen?",
    confirmText:
      "Ihr Gesprächsverlauf und Ihre gespeicherten Antworten werden auf dem Server sofort und " +
      "endgültig gelöscht. Danach beginnt ein neues Gespräch.",
    confirmYes: "Ja, löschen",
    confirmNo: "Abbrechen",
    deleted: "Ihr bisheriges Gespräch wurde gelöscht. Ein neues Gespräch beginnt.",
    deleteFailed:
      "Das Gespräch konnte gerade nicht gelöscht werden, weil der Server nicht erreichbar ist. " +
      "Bitte versuchen Sie es gleich noch einmal.",
    privacyTitle: "Datenschutz",
    privacyText:
      "Gespeichert werden Ihre Nachrichten, Ihre Antworten und das Ergebnis auf dem Server des " +
      "Betreibers, damit Sie ein Ergebnis erhalten und Beraterinnen und Berater es auswerten " +
      "können. Nichts davon geht an Dritte. Ihr Browser merkt sich nur eine zufällige " +
      "Gesprächskennung, damit Sie später weitermachen können. „Gespräch löschen“ entfernt alles sofort.",
    logLabel: "Gesprächsverlauf",
    inputLabel: "Ihre Nachricht an den Kommunallotsen",
    inputPlaceholder: "Ihre Antwort …",
    send: "Senden",
    you: "Sie:",
    bot: "{title}:",
    typing: "{title} schreibt …",
    progressLabel: "Fortschritt des Kurzchecks",
    progress: "Frage {step} von {total}",
    progressDone: "Kurzcheck abgeschlossen",
    choicesLabel: "Antwortmöglichkeiten",
    multiHint: "Mehrfachauswahl: Wählen Sie bis zu {max} Punkte aus und senden Sie dann Ihre Auswahl.",
    multiHintAny: "Mehrfachauswahl: Wählen Sie alle passenden Punkte aus und senden Sie dann Ihre Auswahl.",
    multiFull: "Sie haben schon {max} Punkte gewählt. Heben Sie zuerst eine Auswahl auf.",
    multiSend: "Auswahl senden",
    networkError:
      "Die Verbindung zum Kommunallotsen ist gerade unterbrochen. Ihre Nachricht wurde nicht " +
      "übertragen; Ihre bisherigen Antworten bleiben erhalten.",
    historyError:
      "Ihr bisheriges Gespräch konnte gerade nicht geladen werden, weil der Server nicht " +
      "erreichbar ist. Es ist nicht verloren.",
    retry: "Erneut senden",
    retryHistory: "Erneut laden",
    newWindow: "(öffnet in neuem Fenster)"
  };

  var DEFAULT_COLOR = "#0b5394";
  var STORAGE_KEY = "kommunallotse.sender";
  var START_MESSAGE = "/greet"; // opens a conversation; the server hides it in the history
  var ID_PATTERN = /^[0-9a-f]{32}$/;
  var REQUEST_TIMEOUT_MS = 45000;
  var BOT_TEXT = "#1a1a1a";
  var BOT_BUBBLE = "#eef1f4";

  if (window.__kommunallotse) return; // embedded twice: keep the first one
  window.__kommunallotse = true;

  var script =
    document.currentScript || document.querySelector('script[src*="kommunallotse.js"]');
  var scriptUrl = new URL(script ? script.src : "kommunallotse.js", window.location.href);
  var data = script ? script.dataset : {};
  var serverUrl = (data.serverUrl || scriptUrl.origin).replace(/\/+$/, "");
  var title = (data.title || TEXTS.defaultTitle).trim() || TEXTS.defaultTitle;
  var openOnLoad = data.open === "true";

  function t(key, values) {
    return TEXTS[key].replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : all;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Colours: the primary colour must carry readable text (WCAG contrast >= 4.5:1).
  // ---------------------------------------------------------------------------------------
  function parseColor(value) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec((value || "").trim());
    if (m) {
      var hex = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
      return [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    }
    m = /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/i.exec((value || "").trim());
    if (m) return [+m[1], +m[2], +m[3]].map(function (c) { return Math.min(255, c); });
    return null;
  }

  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function toHex(rgb) {
    return "#" + rgb.map(function (v) { return ("0" + Math.round(v).toString(16)).slice(-2); }).join("");
  }

  function palette(value) {
    var primary = parseColor(value) || parseColor(DEFAULT_COLOR);
    var white = [255, 255, 255], dark = parseColor(BOT_TEXT), bubble = parseColor(BOT_BUBBLE);
    // text on the primary colour: white if readable, else dark text
    var onPrimary = contrast(primary, white) >= 4.5 ? white : contrast(primary, dark) >= 4.5 ? dark : [0, 0, 0];
    // the primary colour as text, border and focus ring on light backgrounds: darken until readable
    var accent = primary.slice();
    while (contrast(accent, bubble) < 4.5 && accent.some(function (v) { return v > 0; })) {
      accent = accent.map(function (v) { return v * 0.9; });
    }
    return { primary: toHex(primary), onPrimary: toHex(onPrimary), accent: toHex(accent) };
  }

  // ---------------------------------------------------------------------------------------
  // Small DOM helpers (text only ever through text nodes)
  // ---------------------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function srOnly(text) {
    return el("span", { class: "kl-sr", text: text });
  }

  function icon(paths) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "kl-icon");
    paths.forEach(function (d) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  var ICON_CHAT = ["M4 4h16v11H8l-4 4z"];
  var ICON_CLOSE = ["M6 6l12 12M18 6L6 18"];
  var ICON_TRASH = ["M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6"];
  var ICON_SEND = ["M4 12l16-8-6 16-3-6z"];

  // ---------------------------------------------------------------------------------------
  // Markdown subset: **bold**, *italic*, [text](https://…) and bare http(s) links
  // ---------------------------------------------------------------------------------------
  var INLINE =
    /\[([^\]\n]+)\]\((https?:\/\/[^\s()]+)\)|(https?:\/\/[^\s<>"]+)|\*\*((?:[^*\n]|\*(?!\*))+)\*\*|\*([^*\s](?:[^*\n]*[^*\s])?)\*/g;

  function safeUrl(href) {
    try {
      var url = new URL(href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(href, label) {
    var url = safeUrl(href);
    if (!url) return document.createTextNode(label);
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [label]);
    a.appendChild(srOnly(" " + TEXTS.newWindow));
    return a;
  }

  function renderInline(parent, text, depth) {
    var last = 0, m;
    INLINE.lastIndex = 0;
    var matches = [];
    while ((m = INLINE.exec(text)) !== null) matches.push(m);
    matches.forEach(function (match) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      last = match.index + match[0].length;
      if (match[1] !== undefined) {
        parent.appendChild(link(match[2], match[1]));
      } else if (match[3] !== undefined) {
        // bare link: trailing punctuation belongs to the sentence, not to the address
        var href = match[3].replace(/[.,;:!?)\]»“"']+$/, "");
        parent.appendChild(link(href, href));
        if (href.length < match[3].length) parent.appendChild(document.createTextNode(match[3].slice(href.length)));
      } else {
        var strong = match[4] !== undefined;
        var inner = el(strong ? "strong" : "em");
        if (depth < 2) renderInline(inner, strong ? match[4] : match[5], depth + 1);
        else inner.textContent = strong ? match[4] : match[5];
        parent.appendChild(inner);
      }
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMarkdown(parent, text) {
    // newlines are kept by CSS (white-space: pre-line); the regex never crosses a line
    renderInline(parent, String(text), 0);
  }

  // ---------------------------------------------------------------------------------------
  // Conversation id (the only thing the widget stores in the browser)
  // ---------------------------------------------------------------------------------------
  var memoryId = null;

  function storedId() {
    var id = null;
    try {
      id = window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      id = memoryId;
    }
    return id && ID_PATTERN.test(id) ? id : null;
  }

  function newId() {
    var bytes = new Uint8Array(16); // 128 bits
    window.crypto.getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    memoryId = id;
    try {
      window.localStorage.setItem(STORAGE_KEY, id);
    } catch (e) {
      /* storage blocked: the conversation lasts as long as the page */
    }
    return id;
  }

  // ---------------------------------------------------------------------------------------
  // Server
  // ---------------------------------------------------------------------------------------
  function request(method, path, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "omit" };
    if (controller) options.signal = controller.signal;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(serverUrl + path, options).then(
      function (response) {
        if (timer) clearTimeout(timer);
        return response.json().then(
          function (json) { return { ok: response.ok, status: response.status, json: json }; },
          function () { return { ok: response.ok, status: response.status, json: null }; }
        );
      },
      function (error) {
        if (timer) clearTimeout(timer);
        throw error;
      }
    );
  }

  // ---------------------------------------------------------------------------------------
  // The widget
  // ---------------------------------------------------------------------------------------
  var colors = palette(data.color || DEFAULT_COLOR);
  var state = { sender: null, started: false, busy: false, loading: false, total: null };
  var ui = {};

  function build() {
    var root = el("aside", { class: "kl-root", "aria-label": title, hidden: true });
    root.style.setProperty("--kl-primary", colors.primary);
    root.style.setProperty("--kl-on-primary", colors.onPrimary);
    root.style.setProperty("--kl-accent", colors.accent);

    ui.launcher = el(
      "button",
      { type: "button", class: "kl-launcher", "aria-expanded": "false", "aria-controls": "kl-panel" },
      [icon(ICON_CHAT), el("span", { class: "kl-launcher-text", text: title }), srOnly(" – " + TEXTS.launcherHint)]
    );

    ui.close = el("button", { type: "button", class: "kl-icon-button", "aria-label": TEXTS.close, title: TEXTS.close }, [
      icon(ICON_CLOSE)
    ]);
    var header = el("div", { class: "kl-header" }, [el("h2", { class: "kl-title", text: title }), ui.close]);

    ui.progressText = el("span", { class: "kl-progress-text" });
    ui.progressFill = el("span", { class: "kl-progress-fill" });
    ui.progress = el(
      "div",
      { class: "kl-progress", role: "progressbar", "aria-label": TEXTS.progressLabel, "aria-valuemin": "0", hidden: true },
      [ui.progressText, el("span", { class: "kl-progress-track" }, [ui.progressFill])]
    );

    // privacy notice (shown at the start of a conversation, can be folded) and deletion
    ui.privacyText = el("p", { class: "kl-privacy-text", id: "kl-privacy-text", text: TEXTS.privacyText, hidden: true });
    ui.privacyToggle = el(
      "button",
      { type: "button", class: "kl-meta-button kl-privacy-toggle", "aria-expanded": "false", "aria-controls": "kl-privacy-text" },
      [TEXTS.privacyTitle]
    );
    ui.remove = el("button", { type: "button", class: "kl-meta-button kl-delete" }, [
      icon(ICON_TRASH),
      el("span", { text: TEXTS.deleteButton })
    ]);
    var meta = el("div", { class: "kl-meta" }, [ui.privacyToggle, ui.remove]);

    ui.log = el("div", {
      class: "kl-log",
      id: "kl-log",
      role: "log",
      "aria-live": "polite",
      "aria-label": TEXTS.logLabel,
      tabindex: "0"
    });
    ui.typing = el("div", { class: "kl-typing", role: "status" });

    ui.input = el("input", {
      type: "text",
      id: "kl-input",
      class: "kl-input",
      autocomplete: "off",
      maxlength: "10000",
      placeholder: TEXTS.inputPlaceholder
    });
    ui.send = el("button", { type: "submit", class: "kl-send" }, [icon(ICON_SEND), el("span", { text: TEXTS.send })]);
    ui.form = el("form", { class: "kl-form", novalidate: true }, [
      el("label", { class: "kl-sr", for: "kl-input", text: TEXTS.inputLabel }),
      ui.input,
      ui.send
    ]);

    ui.confirmNo = el("button", { type: "button", class: "kl-button kl-button-secondary", text: TEXTS.confirmNo });
    ui.confirmYes = el("button", { type: "button", class: "kl-button kl-button-danger", text: TEXTS.confirmYes });
    ui.confirm = el(
      "dialog",
      { class: "kl-confirm", role: "alertdialog", "aria-labelledby": "kl-confirm-title", "aria-describedby": "kl-confirm-text" },
      [
        el("h3", { id: "kl-confirm-title", text: TEXTS.confirmTitle }),
        el("p", { id: "kl-confirm-text", text: TEXTS.confirmText }),
        el("div", { class: "kl-confirm-buttons" }, [ui.confirmNo, ui.confirmYes])
      ]
    );

    ui.panel = el(
      "div",
      { class: "kl-panel", id: "kl-panel", role: "dialog", "aria-label": t("dialogLabel", { title: title }), hidden: true },
      [header, ui.progress, meta, ui.privacyText, ui.log, ui.typing, ui.form, ui.confirm]
    );

    root.appendChild(ui.panel);
    root.appendChild(ui.launcher);
    ui.root = root;

    ui.launcher.addEventListener("click", function () { if (ui.panel.hidden) openPanel(true); else closePanel(); });
    ui.close.addEventListener("click", closePanel);
    ui.remove.addEventListener("click", askDelete);
    ui.privacyToggle.addEventListener("click", function () {
      showPrivacy(ui.privacyText.hidden);
    });
    ui.confirmNo.addEventListener("click", function () { ui.confirm.close(); });
    ui.confirmYes.addEventListener("click", function () { ui.confirm.close("yes"); });
    ui.confirm.addEventListener("close", function () {
      if (ui.confirm.returnValue === "yes") deleteConversation();
      else ui.remove.focus();
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value.trim();
      if (!text || state.busy || state.loading) return;
      ui.input.value = "";
      send(text, text);
    });
    root.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || ui.panel.hidden || ui.confirm.open) return;
      event.preventDefault();
      closePanel();
    });
    return root;
  }

  function openPanel(moveFocus) {
    ui.panel.hidden = false;
    ui.root.classList.add("kl-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    if (moveFocus) ui.input.focus();
    ensureConversation();
    scrollDown();
  }

  function closePanel() {
    if (ui.confirm.open) ui.confirm.close();
    ui.panel.hidden = true;
    ui.root.classList.remove("kl-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function showPrivacy(show) {
    ui.privacyText.hidden = !show;
    ui.privacyToggle.setAttribute("aria-expanded", show ? "true" : "false");
  }

  function scrollDown() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // the status region stays in the page (live regions must exist before they change)
  function setTyping(on) {
    ui.typing.textContent = "";
    ui.typing.classList.toggle("kl-typing-on", on);
    if (on) {
      ui.typing.appendChild(el("span", { class: "kl-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]));
      ui.typing.appendChild(el("span", { class: "kl-typing-text", text: t("typing", { title: title }) }));
    }
  }

  function addMessage(role, text) {
    var who = role === "user" ? TEXTS.you : t("bot", { title: title });
    var bubble = el("div", { class: "kl-bubble" });
    if (role === "bot") renderMarkdown(bubble, text);
    else bubble.textContent = text;
    var item = el("div", { class: "kl-msg kl-msg-" + role }, [srOnly(who + " "), bubble]);
    ui.log.appendChild(item);
    scrollDown();
    return item;
  }

  function addNotice(text, className) {
    var item = el("div", { class: "kl-msg kl-msg-notice " + (className || "") }, [el("p", { text: text })]);
    ui.log.appendChild(item);
    scrollDown();
    return item;
  }

  function clearChoices() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".kl-choices"), function (node) {
      node.parentNode.removeChild(node);
    });
  }

  // quick replies under a bot message; multi questions get toggle buttons and "Auswahl senden"
  function addChoices(item, choices) {
    var buttons = (choices.buttons || []).filter(function (b) { return b && b.title; });
    if (!buttons.length) return;
    var multi = choices.kind === "multi";
    var max = multi && choices.max_choices ? Number(choices.max_choices) : null;
    var group = el("div", { class: "kl-choices" + (multi ? " kl-choices-multi" : ""), role: "group", "aria-label": TEXTS.choicesLabel });
    var list = el("div", { class: "kl-choice-list" });
    group.appendChild(list);
    if (!multi) {
      buttons.forEach(function (b) {
        var button = el("button", { type: "button", class: "kl-choice", text: b.title });
        button.addEventListener("click", function () {
          if (state.busy) return;
          send(b.payload || b.title, b.title);
        });
        list.appendChild(button);
      });
    } else {
      var hintId = "kl-hint-" + Math.random().toString(36).slice(2, 10);
      var hint = el("p", { class: "kl-hint", id: hintId, text: max ? t("multiHint", { max: max }) : TEXTS.multiHintAny });
      group.setAttribute("aria-describedby", hintId);
      group.insertBefore(hint, list);
      var toggles = [];
      var submit = el("button", { type: "button", class: "kl-button kl-multi-send", text: TEXTS.multiSend, disabled: true });
      var refresh = function () {
        var chosen = toggles.filter(function (b) { return b.getAttribute("aria-pressed") === "true"; });
        submit.disabled = chosen.length === 0;
        var full = max !== null && chosen.length >= max;
        toggles.forEach(function (b) {
          if (b.getAttribute("aria-pressed") !== "true") {
            if (full) b.setAttribute("aria-disabled", "true");
            else b.removeAttribute("aria-disabled");
          }
        });
        hint.textContent = full ? t("multiFull", { max: max }) : max ? t("multiHint", { max: max }) : TEXTS.multiHintAny;
      };
      buttons.forEach(function (b) {
        // the check mark is decoration: aria-pressed tells assistive technology
        var toggle = el("button", { type: "button", class: "kl-choice kl-toggle", "aria-pressed": "false" }, [
          el("span", { class: "kl-check", "aria-hidden": "true", text: "✓ " }),
          b.title
        ]);
        toggle.setAttribute("data-title", b.title);
        toggle.addEventListener("click", function () {
          var pressed = toggle.getAttribute("aria-pressed") === "true";
          if (!pressed && toggle.getAttribute("aria-disabled") === "true") return;
          toggle.setAttribute("aria-pressed", pressed ? "false" : "true");
          toggle.removeAttribute("aria-disabled");
          refresh();
        });
        toggles.push(toggle);
        list.appendChild(toggle);
      });
      submit.addEventListener("click", function () {
        if (state.busy) return;
        var labels = toggles
          .filter(function (b) { return b.getAttribute("aria-pressed") === "true"; })
          .map(function (b) { return b.getAttribute("data-title"); });
        if (labels.length) send(labels.join(", "), labels.join(", "));
      });
      group.appendChild(submit);
    }
    item.appendChild(group);
    scrollDown();
  }

  function setProgress(progress) {
    if (!progress) return;
    if (progress.done) {
      var total = state.total || 1;
      ui.progress.setAttribute("aria-valuemax", String(total));
      ui.progress.setAttribute("aria-valuenow", String(total));
      ui.progress.setAttribute("aria-valuetext", TEXTS.progressDone);
      ui.progressText.textContent = TEXTS.progressDone;
      ui.progress.setAttribute("data-question", "");
      ui.progressFill.style.width = "100%";
      ui.progress.hidden = false;
      return;
    }
    var step = Number(progress.step), max = Number(progress.total);
    if (!(step > 0) || !(max > 0)) return;
    state.total = max;
    if (progress.question_id) ui.progress.setAttribute("data-question", String(progress.question_id));
    var label = t("progress", { step: step, total: max });
    ui.progress.setAttribute("aria-valuemax", String(max));
    ui.progress.setAttribute("aria-valuenow", String(step));
    ui.progress.setAttribute("aria-valuetext", label);
    ui.progressText.textContent = label;
    ui.progressFill.style.width = Math.min(100, (100 * step) / max) + "%";
    ui.progress.hidden = false;
  }

  function progressOf(custom) {
    var payload = custom && typeof custom === "object" ? custom.kommunallotse : null;
    if (!payload || typeof payload !== "object") return null;
    if (payload.question_id) return payload;
    if (payload.result) return { done: true };
    return null;
  }

  // one reply of the bot: texts, quick replies (with the kind from the progress payload), progress
  function renderReply(messages) {
    var firstItem = null, lastItem = null, pending = [], current = null;
    (Array.isArray(messages) ? messages : []).forEach(function (message) {
      if (!message || typeof message !== "object") return;
      if (typeof message.text === "string" && message.text) {
        lastItem = addMessage("bot", message.text);
        firstItem = firstItem || lastItem;
      }
      if (Array.isArray(message.buttons) && message.buttons.length) {
        if (!lastItem) lastItem = addMessage("bot", "");
        current = { item: lastItem, buttons: message.buttons, kind: "single", max_choices: null };
        pending.push(current);
      }
      var progress = progressOf(message.custom);
      if (progress) {
        setProgress(progress);
        if (current && progress.kind) {
          current.kind = progress.kind;
          current.max_choices = progress.max_choices;
        }
      }
    });
    pending.forEach(function (p) { addChoices(p.item, p); });
    firstItem = firstItem || lastItem;
    // a long reply is read from its start, a short one just scrolls into view
    if (firstItem && ui.log.scrollHeight - (firstItem.offsetTop - 8) > ui.log.clientHeight) {
      ui.log.scrollTop = firstItem.offsetTop - 8;
    }
  }

  function send(message, shown, retrying) {
    if (!state.sender) state.sender = newId();
    var focusInLog = ui.log.contains(document.activeElement); // e.g. a quick reply that goes away
    clearChoices();
    if (shown && !retrying) {
      addMessage("user", shown);
      showPrivacy(false); // the notice was shown at the start; fold it to make room
    }
    state.busy = true;
    setTyping(true);
    request("POST", "/chat", { sender: state.sender, message: message })
      .then(function (response) {
        if (!response.ok || !Array.isArray(response.json)) throw new Error("status " + response.status);
        setTyping(false);
        state.busy = false;
        state.started = true;
        renderReply(response.json);
      })
      .catch(function () {
        setTyping(false);
        state.busy = false;
        var notice = addNotice(TEXTS.networkError, "kl-error");
        var retry = el("button", { type: "button", class: "kl-button", text: TEXTS.retry });
        retry.addEventListener("click", function () {
          if (state.busy) return;
          notice.parentNode.removeChild(notice);
          ui.input.focus();
          send(message, shown, true);
        });
        notice.appendChild(retry);
      });
    if (focusInLog) ui.input.focus();
  }

  function startConversation() {
    state.started = true;
    showPrivacy(true);
    send(START_MESSAGE, null);
  }

  function restore(history) {
    ui.log.setAttribute("aria-live", "off"); // the restored history is not read out again
    var lastBot = null;
    history.turns.forEach(function (turn) {
      var item = addMessage(turn.role === "bot" ? "bot" : "user", String(turn.text || ""));
      if (turn.role === "bot") lastBot = item;
    });
    if (history.progress && history.progress.total) state.total = history.progress.total;
    setProgress(history.progress);
    if (history.choices && lastBot) addChoices(lastBot, history.choices);
    scrollDown();
    setTimeout(function () { ui.log.setAttribute("aria-live", "polite"); }, 0);
  }

  function loadHistory() {
    state.loading = true;
    setTyping(true);
    request("GET", "/chat/" + state.sender + "/verlauf")
      .then(function (response) {
        setTyping(false);
        state.loading = false;
        if (response.ok && response.json && Array.isArray(response.json.turns)) {
          if (response.json.turns.length) {
            state.started = true;
            restore(response.json);
          } else {
            startConversation(); // nothing stored (any more) for this id: greet again
          }
        } else if (response.status === 404 || response.status === 422) {
          state.sender = newId();
          startConversation();
        } else {
          throw new Error("status " + response.status);
        }
      })
      .catch(function () {
        setTyping(false);
        state.loading = false;
        var notice = addNotice(TEXTS.historyError, "kl-error");
        var retry = el("button", { type: "button", class: "kl-button", text: TEXTS.retryHistory });
        retry.addEventListener("click", function () {
          notice.parentNode.removeChild(notice);
          loadHistory();
        });
        notice.appendChild(retry);
      });
  }

  function ensureConversation() {
    if (state.started || state.loading || state.busy) return;
    if (ui.log.querySelector(".kl-error")) return; // waiting for the visitor to retry
    state.sender = storedId();
    if (state.sender) {
      state.started = true;
      loadHistory();
    } else {
      state.sender = newId();
      startConversation();
    }
  }

  function askDelete() {
    if (typeof ui.confirm.showModal === "function") {
      ui.confirm.returnValue = "";
      ui.confirm.showModal();
      ui.confirmNo.focus();
    } else if (window.confirm(TEXTS.confirmTitle + "\n\n" + TEXTS.confirmText)) {
      deleteConversation();
    }
  }

  function deleteConversation() {
    var sender = state.sender;
    if (state.busy || state.loading) {
      setTimeout(deleteConversation, 300); // let the answer on its way arrive first
      return;
    }
    if (!sender) {
      resetConversation();
      return;
    }
    state.busy = true;
    request("DELETE", "/chat/" + sender)
      .then(function (response) {
        state.busy = false;
        if (!response.ok && response.status !== 422) throw new Error("status " + response.status);
        resetConversation();
      })
      .catch(function () {
        state.busy = false;
        addNotice(TEXTS.deleteFailed, "kl-error");
        ui.remove.focus();
      });
  }

  function resetConversation() {
    ui.log.setAttribute("aria-live", "off");
    ui.log.textContent = "";
    ui.progress.hidden = true;
    state.total = null;
    state.sender = newId();
    ui.log.setAttribute("aria-live", "polite");
    ui.input.value = "";
    ui.input.focus();
    setTimeout(function () {
      addNotice(TEXTS.deleted, "kl-info");
      startConversation();
    }, 50);
  }

  function mount() {
    var root = build();
    document.body.appendChild(root);
    var show = function () {
      root.hidden = false;
      if (openOnLoad) openPanel(false);
    };
    var cssHref = scriptUrl.href.replace(/\.js(\?.*)?$/, ".css$1");
    if (document.querySelector('link[data-kommunallotse]')) {
      show();
      return;
    }
    var css = el("link", { rel: "stylesheet", href: cssHref, "data-kommunallotse": "" });
    var shown = false;
    var once = function () { if (!shown) { shown = true; show(); } };
    css.addEventListener("load", once);
    css.addEventListener("error", once); // unstyled, but usable
    setTimeout(once, 3000);
    document.head.appendChild(css);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
