// Progressive enhancement: show each <time datetime> in the reader's own time zone.
// Without this script the pages read the same, in UTC.
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var format;
  try {
    format = new Intl.DateTimeFormat(lang, {
      weekday: "short", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (error) {
    return;
  }
  var times = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var element = times[i];
    var value = element.getAttribute("datetime");
    if (value.indexOf("T") < 0) continue;  // a date alone stays as it is
    var moment = new Date(value);
    if (isNaN(moment.getTime())) continue;
    element.title = element.textContent;
    element.textContent = format.format(moment);
    element.setAttribute("data-local", "");
  }
})();
