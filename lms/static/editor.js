/* The content editor's live preview: a moment after the trainer stops typing, the unsaved
   text is sent to the preview endpoint, which answers with the rendered (sanitised) HTML and
   the linter's problems for this file. Each problem is a button that puts the caret on its
   line. Without this script the page still works: saving shows the same problems and preview. */
(function () {
  "use strict";

  var textarea = document.getElementById("editor-text");
  if (!textarea) {
    return;
  }
  var form = textarea.form;
  var list = document.getElementById("problems-list");
  var status = document.getElementById("problems-status");
  var others = document.getElementById("problems-others");
  var preview = document.getElementById("preview");
  var caret = document.getElementById("caret-status");
  var token = form.querySelector('input[name="csrf_token"]');
  var timer = null;
  var latest = 0;

  function offsetOf(text, line, column) {
    var offset = 0;
    for (var current = 1; current < line; current += 1) {
      var next = text.indexOf("\n", offset);
      if (next === -1) {
        return text.length;
      }
      offset = next + 1;
    }
    var end = text.indexOf("\n", offset);
    var lineEnd = end === -1 ? text.length : end;
    return Math.min(offset + Math.max(column - 1, 0), lineEnd);
  }

  function showCaret() {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var line = before.split("\n").length;
    var column = before.length - before.lastIndexOf("\n");
    caret.textContent = "Line " + line + ", column " + column;
  }

  function goTo(line, column) {
    var position = offsetOf(textarea.value, line, column || 1);
    textarea.focus();
    textarea.setSelectionRange(position, position);
    var height = parseFloat(window.getComputedStyle(textarea).lineHeight) || 20;
    textarea.scrollTop = Math.max(0, (line - 3) * height);
    showCaret();
  }

  function problemItem(problem) {
    var item = document.createElement("li");
    item.className = "problem problem-" + problem.severity;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "problem-line";
    button.dataset.line = problem.line;
    button.dataset.column = problem.column;
    button.textContent = "Line " + problem.line;
    var severity = document.createElement("span");
    severity.className = "problem-severity";
    severity.textContent = problem.severity;
    var message = document.createElement("span");
    message.className = "problem-message";
    message.textContent = problem.message;
    item.append(button, " ", severity, " ", message);
    return item;
  }

  function show(data) {
    list.replaceChildren.apply(list, data.problems.map(problemItem));
    status.textContent = data.problems.length
      ? data.problems.length + " problem(s)"
      : "No problems";
    others.textContent = data.others
      ? data.others + " error(s) in other files of the draft (see the course page)."
      : "";
    // Sanitised by the server (lms.markdown, nh3); the CSP would block any script anyway.
    preview.innerHTML = data.html;
  }

  function refresh() {
    var sent = ++latest;
    var body = new FormData();
    body.append("csrf_token", token ? token.value : "");
    body.append("name", textarea.dataset.file);
    body.append("text", textarea.value);
    fetch(textarea.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": token ? token.value : ""}
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    }).then(function (data) {
      if (sent === latest) {
        show(data);
      }
    }).catch(function () {
      if (sent === latest) {
        status.textContent = "The preview could not be updated; save to check the file.";
      }
    });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
  ["keyup", "click", "focus"].forEach(function (name) {
    textarea.addEventListener(name, showCaret);
  });
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-line]");
    if (button) {
      goTo(Number(button.dataset.line), Number(button.dataset.column));
    }
  });
  if (textarea.dataset.line) {
    goTo(Number(textarea.dataset.line), 1);
  }
})();
