/* wikiscore patrol page: keyboard shortcuts, review panel, feedback without reloads, and a queue
   that refreshes itself without moving the reviewer's place. Plain JavaScript, no build step,
   no third-party code. Every action also works without this script (links and forms). */
(function () {
  "use strict";

  var messagesNode = document.getElementById("patrol-messages");
  var messages = messagesNode ? JSON.parse(messagesNode.textContent) : {};
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function t(key, params) {
    var template = messages[key];
    params = params || {};
    if (template === undefined) { return key; }
    if (typeof template === "object") {
      template = params.count === 1 ? template.one : template.other;
    }
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      var value = params[name];
      if (value === undefined) { return whole; }
      return typeof value === "number" ? value.toLocaleString("en") : String(value);
    });
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function verdictFor(judgement, level) {
    var flagged = level !== "likely_good";
    if (judgement === "good") { return flagged ? "false_positive" : "correct"; }
    if (judgement === "bad") { return flagged ? "correct" : "false_negative"; }
    return "unsure";
  }

  function isTyping(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function errorReason(response, body) {
    try {
      var data = JSON.parse(body);
      if (data && data.error && data.error.message) { return data.error.message; }
    } catch (e) { /* not JSON */ }
    return response.status + " " + response.statusText;
  }

  function postFeedback(fields) {
    return fetch("/patrol/feedback", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrf
      },
      body: JSON.stringify(fields)
    }).then(function (response) {
      return response.text().then(function (body) {
        if (!response.ok) { throw new Error(errorReason(response, body)); }
        return JSON.parse(body);
      });
    });
  }

  function formFields(form) {
    var fields = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "next") { fields[key] = value; }
    });
    fields.editor_anon = fields.editor_anon === "true";
    fields.editor_newcomer = fields.editor_newcomer === "true";
    fields.score = parseFloat(fields.score);
    fields.rev_id = parseInt(fields.rev_id, 10);
    return fields;
  }

  // On a phone the filters start folded, so the queue is on the first screen.
  var filtersBox = document.getElementById("filters-box");
  if (filtersBox && window.matchMedia("(max-width: 40rem)").matches) { filtersBox.open = false; }

  var queue = document.getElementById("queue");
  var review = document.getElementById("review");
  var rowsEl = document.getElementById("rows");
  var queueStatus = document.getElementById("queue-status");
  var overlayQuery = window.matchMedia("(max-width: 59.99rem)");
  var selectedKey = null;
  var openKey = null;

  function announce(text) {
    if (queueStatus) { queueStatus.textContent = text; }
  }

  function allRows() {
    return rowsEl ? Array.prototype.slice.call(rowsEl.querySelectorAll("li.row")) : [];
  }

  function rowByKey(key) {
    return allRows().filter(function (li) { return li.dataset.key === key; })[0] || null;
  }

  function selectedRow() { return selectedKey ? rowByKey(selectedKey) : null; }

  function select(li, focus) {
    allRows().forEach(function (other) { other.removeAttribute("aria-current"); });
    li.setAttribute("aria-current", "true");
    selectedKey = li.dataset.key;
    if (focus) { li.querySelector(".row-link").focus({ preventScroll: true }); }
    li.scrollIntoView({ block: "nearest" });
  }

  function markVerdict(key, verdict) {
    var li = rowByKey(key);
    if (!li) { return; }
    var slot = li.querySelector(".row-verdict");
    slot.textContent = "";
    var span = document.createElement("span");
    span.className = "verdict verdict-" + verdict;
    span.textContent = t("js.verdict_yours", { verdict: t("verdict." + verdict) });
    slot.appendChild(span);
    li.classList.add("reviewed");
  }

  function reviewForm() {
    var card = review ? review.querySelector(".review-card") : null;
    if (!card || card.dataset.key !== openKey) { return null; }
    return card.querySelector("form.feedback-form");
  }

  function submitForm(form) {
    var status = form.querySelector(".feedback-status");
    var fields = formFields(form);
    if (!fields.verdict) { return; }
    status.textContent = t("js.saving");
    postFeedback(fields).then(function (result) {
      var verdict = result.feedback.verdict;
      status.textContent = t("js.saved", { verdict: t("verdict." + verdict) });
      form.querySelector('input[name="submission_id"]').value = newId();
      markVerdict(result.feedback.wiki + ":" + result.feedback.rev_id, verdict);
    }).catch(function (error) {
      status.textContent = t("js.save_error", { reason: error.message });
    });
  }

  function quickVerdict(judgement) {
    var form = reviewForm();
    var li = selectedRow();
    if (form && (!li || li.dataset.key === openKey)) {
      var level = form.querySelector('input[name="level"]').value;
      var radio = form.querySelector('input[name="verdict"][value="' + verdictFor(judgement, level) + '"]');
      radio.checked = true;
      if (queue) { submitForm(form); } else { form.requestSubmit(); }
      return;
    }
    if (!li) { announce(t("js.no_selection")); return; }
    if (!li.dataset.score || !li.dataset.version) { announce(t("js.not_scored")); return; }
    var verdict = verdictFor(judgement, li.dataset.level);
    announce(t("js.saving"));
    postFeedback({
      wiki: li.dataset.wiki,
      rev_id: parseInt(li.dataset.rev, 10),
      model: li.dataset.model,
      model_version: li.dataset.version,
      score: parseFloat(li.dataset.score),
      level: li.dataset.level,
      verdict: verdict,
      editor_anon: li.dataset.anon === "true",
      editor_newcomer: li.dataset.newcomer === "true",
      submission_id: newId()
    }).then(function (result) {
      markVerdict(li.dataset.key, result.feedback.verdict);
      announce(t("js.saved", { verdict: t("verdict." + result.feedback.verdict) }));
    }).catch(function (error) {
      announce(t("js.save_error", { reason: error.message }));
    });
  }

  function closeReview() {
    document.body.classList.remove("review-open");
    var li = selectedRow();
    if (li) { li.querySelector(".row-link").focus({ preventScroll: true }); }
  }

  function openRow(li, moveFocus) {
    var link = li.querySelector(".row-link");
    var url = link.getAttribute("href");
    url += (url.indexOf("?") >= 0 ? "&" : "?") + "fragment=1";
    var key = li.dataset.key;
    openKey = key;
    review.setAttribute("aria-busy", "true");
    document.body.classList.add("review-open");
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.text().then(function (body) {
        if (!response.ok) { throw new Error(errorReason(response, body)); }
        return body;
      });
    }).then(function (html) {
      if (openKey !== key) { return; }  // the reviewer moved on while this loaded
      var doc = new DOMParser().parseFromString(html, "text/html");
      var card = doc.querySelector(".review-card");
      review.textContent = "";
      review.appendChild(document.importNode(card, true));
      review.setAttribute("aria-labelledby", "review-heading");
      review.removeAttribute("aria-busy");
      if (moveFocus || overlayQuery.matches) {
        document.getElementById("review-heading").focus();
      }
      review.scrollTop = 0;
      if (review.parentElement) { review.parentElement.scrollTop = 0; }
    }).catch(function (error) {
      review.removeAttribute("aria-busy");
      review.textContent = "";
      var p = document.createElement("p");
      p.className = "row-error";
      p.setAttribute("role", "alert");
      p.textContent = t("js.load_error", { reason: error.message });
      review.appendChild(p);
    });
  }

  function move(delta) {
    var rows = allRows();
    if (!rows.length) { return; }
    var index = rows.indexOf(selectedRow());
    var next = index < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, index + delta));
    var reviewShowing = openKey !== null && (!overlayQuery.matches ||
      document.body.classList.contains("review-open"));
    select(rows[next], !(reviewShowing && overlayQuery.matches));
    if (reviewShowing && rows[next].dataset.key !== openKey) { openRow(rows[next], false); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var key = event.key;
    if (key === "Escape") {
      if (document.body.classList.contains("review-open") || review.contains(document.activeElement)) {
        event.preventDefault();
        closeReview();
      }
      return;
    }
    if (!queue && "gbu".indexOf(key) < 0) { return; }
    if (key === "j") { event.preventDefault(); move(1); }
    else if (key === "k") { event.preventDefault(); move(-1); }
    else if (key === "o") {
      var li = selectedRow();
      if (!li) { move(1); li = selectedRow(); }
      if (li) { event.preventDefault(); openRow(li, true); }
    }
    else if (key === "g") { event.preventDefault(); quickVerdict("good"); }
    else if (key === "b") { event.preventDefault(); quickVerdict("bad"); }
    else if (key === "u") { event.preventDefault(); quickVerdict("unsure"); }
  });

  if (!queue) {
    // The stand-alone review page: shortcuts g/b/u fill in and send its form.
    openKey = review && review.querySelector(".review-card") ?
      review.querySelector(".review-card").dataset.key : null;
    return;
  }

  queue.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".row-link") : null;
    var li = event.target.closest ? event.target.closest("li.row") : null;
    if (!li) { return; }
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      select(li, true);
      openRow(li, true);
    } else if (!link) {
      select(li, true);
    }
  });

  queue.addEventListener("focusin", function (event) {
    var li = event.target.closest ? event.target.closest("li.row") : null;
    if (li && li.dataset.key !== selectedKey) { select(li, false); }
  });

  review.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("feedback-form")) {
      event.preventDefault();
      submitForm(form);
    }
  });

  review.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest('[data-action="close"]') : null;
    if (target) { event.preventDefault(); closeReview(); }
  });

  // -- refreshing ------------------------------------------------------------------------------
  var refreshSeconds = parseInt(queue.dataset.refresh || "0", 10);
  var rowsUrl = queue.dataset.rowsUrl;
  var pauseButton = document.getElementById("pause");
  var paused = false;

  function pickAnchor() {
    var li = selectedRow();
    if (li) {
      var rect = li.getBoundingClientRect();
      if (rect.bottom > 0 && rect.top < window.innerHeight) { return li; }
    }
    return allRows().filter(function (row) {
      return row.getBoundingClientRect().bottom > 0;
    })[0] || null;
  }

  function scoreOf(li) {
    var value = parseFloat(li.dataset.score);
    return isNaN(value) ? -1 : value;
  }

  function updateTimes() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".row time[datetime]"), function (el) {
      var seconds = Math.max(0, Math.floor((now - Date.parse(el.getAttribute("datetime"))) / 1000));
      var text;
      if (seconds < 60) { text = t("time.seconds", { count: seconds }); }
      else if (seconds < 3600) { text = t("time.minutes", { count: Math.floor(seconds / 60) }); }
      else if (seconds < 86400) { text = t("time.hours", { count: Math.floor(seconds / 3600) }); }
      else if (seconds < 30 * 86400) { text = t("time.days", { count: Math.floor(seconds / 86400) }); }
      else { text = t("time.date", { date: el.getAttribute("datetime").slice(0, 10) }); }
      el.textContent = text;
    });
  }

  function merge(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var incoming = Array.prototype.slice.call(doc.querySelectorAll("li.row"));
    var known = {};
    allRows().forEach(function (li) { known[li.dataset.key] = li; });
    var anchor = pickAnchor();
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    var added = 0;
    incoming.forEach(function (li) {
      var existing = known[li.dataset.key];
      if (existing) {
        // Badges computed since (e.g. an editor's early-warning score) are filled in place;
        // the row itself stays, so focus and selection stay too.
        var fresh = li.querySelector(".row-editor");
        var old = existing.querySelector(".row-editor");
        if (fresh && old && fresh.innerHTML !== old.innerHTML) {
          old.replaceWith(document.importNode(fresh, true));
        }
        return;
      }
      var node = document.importNode(li, true);
      node.classList.add("row-new");
      var badge = document.createElement("span");
      badge.className = "badge badge-fresh";
      badge.textContent = t("js.new_badge");
      node.querySelector(".row-title").appendChild(badge);
      var score = scoreOf(node);
      var after = allRows().filter(function (other) { return scoreOf(other) < score; })[0];
      if (after) { rowsEl.insertBefore(node, after); } else { rowsEl.appendChild(node); }
      known[node.dataset.key] = node;
      added += 1;
    });
    if (anchor) { window.scrollBy(0, anchor.getBoundingClientRect().top - before); }
    if (added) {
      var empty = document.getElementById("empty");
      if (empty) { empty.remove(); }
      announce(t("js.new_rows", { count: added }));
    }
    updateTimes();
  }

  function poll() {
    if (paused || document.hidden) { schedule(); return; }
    fetch(rowsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        return response.text().then(function (body) {
          if (!response.ok) { throw new Error(errorReason(response, body)); }
          return body;
        });
      })
      .then(merge)
      .catch(function (error) { announce(t("js.update_error", { reason: error.message })); })
      .then(schedule);
  }

  function schedule() {
    if (refreshSeconds > 0) { window.setTimeout(poll, refreshSeconds * 1000); }
  }

  if (pauseButton) {
    pauseButton.hidden = false;
    pauseButton.addEventListener("click", function () {
      paused = !paused;
      pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
      announce(paused ? t("js.paused") : "");
    });
  }
  if (rowsEl && rowsUrl) { schedule(); }
})();
