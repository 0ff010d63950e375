// A timed quiz warns, through an aria-live region, when less than two minutes are left
// (WCAG 2.2.1), and where the course allows it, "More time" moves the deadline without
// leaving the page (the answers stay as they are). Messages come translated in the page or
// from the server; the CSP forbids inline scripts, hence this file. Without script the
// "More time" button posts the quiz form, which comes back with the answers still ticked.
(function () {
  "use strict";
  var deadline = document.getElementById("quiz-deadline");
  var region = document.getElementById("quiz-time-warning");
  if (!deadline || !region) { return; }
  var ends = Date.parse(deadline.getAttribute("datetime"));
  if (isNaN(ends)) { return; }
  var timer = null;
  function check() {
    if (ends - Date.now() <= 2 * 60 * 1000) {
      region.textContent = deadline.textContent;
      window.clearInterval(timer);
      timer = null;
    }
  }
  function watch() {
    if (timer === null) { timer = window.setInterval(check, 5000); }
    check();
  }
  watch();

  var button = document.getElementById("quiz-extend");
  var form = document.getElementById("quiz-form");
  if (!button || !form) { return; }
  button.addEventListener("click", function (event) {
    event.preventDefault();
    button.disabled = true;
    var body = new FormData();
    body.append("csrf_token", form.elements.csrf_token.value);
    fetch(button.getAttribute("formaction"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (reply) {
      var data = reply.data;
      if (!reply.ok) {
        region.textContent = data.error || "";
        button.hidden = true;
        return;
      }
      ends = Date.parse(data.deadline);
      deadline.setAttribute("datetime", data.deadline);
      deadline.textContent = data.warning;
      document.getElementById("quiz-deadline-text").textContent = data.message;
      region.textContent = data.message;
      var help = document.getElementById("quiz-extend-help");
      if (data.extensions_left > 0) {
        help.textContent = data.help;
        button.disabled = false;
      } else {
        // The focused button goes away: keep the focus on the form's own next step.
        button.hidden = true;
        help.hidden = true;
        form.querySelector('button[type="submit"]:not([formaction])').focus();
      }
      watch();
    }).catch(function () {
      // The server could not be reached: the form post still works.
      button.disabled = false;
      form.action = button.getAttribute("formaction");
      form.submit();
    });
  });
})();
