// Folio's only script: shows each time's exact moment in the reader's own time zone on hover.
// Everything works without it; the server already put the exact UTC time in the title.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var times = document.querySelectorAll("time[datetime]");
  for (var i = 0; i < times.length; i++) {
    var when = new Date(times[i].getAttribute("datetime"));
    if (!isNaN(when.getTime())) times[i].title = when.toLocaleString();
  }
});
