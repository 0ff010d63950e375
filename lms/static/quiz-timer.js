// A timed quiz warns, through an aria-live region, when less than two minutes are left
// (WCAG 2.2.1). The message comes translated in the page (#quiz-deadline's text); the CSP
// forbids inline scripts, hence this file.
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
    }
  }
  timer = window.setInterval(check, 5000);
  check();
})();
