// Progressive enhancement: show each <time datetime> in the reader's own time zone.
// Without this script the pages read the same, in UTC. data-format="date" shows
// the date alone, data-format="time" the time alone (the end of a same-day range).
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var formats;
  try {
    formats = {
      full: new Intl.DateTimeFormat(lang, {
        weekday: "short", year: "numeric", month: "short", day: "numeric",
        hour: "numeric", minute: "2-digit", timeZoneName: "short"
      }),
      date: new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric" }),
      time: new Intl.DateTimeFormat(lang, {
        hour: "numeric", minute: "2-digit", timeZoneName: "short"
      })
    };
  } catch (error) {
    return;
  }
  var times = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var element = times[i];
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) continue;
    var format = formats[element.getAttribute("data-format") || "full"] || formats.full;
    element.title = element.textContent;
    element.textContent = format.format(moment);
    element.setAttribute("data-local", "");
  }
})();
