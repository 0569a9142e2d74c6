// The record form on a phone: the draft is kept on the device (localStorage) and
// submitted when the network is back, always with the same submission key, so a
// retried submission is recorded once.
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var key = "suiji-draft-" + form.dataset.draftKey;
  var status = document.getElementById("offline-status");
  var texts = document.getElementById("offline-messages").dataset;
  var pending = false;

  function say(text) { status.textContent = text; }

  function collect() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { (data[el.name] = data[el.name] || []).push(el.value); }
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function save() { try { localStorage.setItem(key, JSON.stringify(collect())); } catch (e) { /* storage full */ } }

  function restore() {
    var raw = localStorage.getItem(key);
    if (!raw) { return; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrfmiddlewaretoken" || !(el.name in data)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = Array.isArray(data[el.name]) && data[el.name].indexOf(el.value) !== -1;
      } else {
        el.value = data[el.name];
      }
    });
    say(texts.restored);
  }

  function send() {
    pending = true;
    save();
    fetch(form.action || window.location.href, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        pending = false;
        if (response.redirected || response.ok) {
          if (response.redirected) {
            localStorage.removeItem(key);
            say(texts.sent);
            window.location.assign(response.url);
            return;
          }
        }
        return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
      })
      .catch(function () { say(texts.saved); });
  }

  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    if (!navigator.onLine) { pending = true; save(); say(texts.saved); return; }
    send();
  });
  window.addEventListener("online", function () { if (pending) { send(); } });

  // A signature drawn with a finger or a mouse, kept as a PNG data URL.
  var pad = document.getElementById("signature-pad");
  var out = document.getElementById("signature-drawn");
  if (pad && pad.getContext) {
    var ctx = pad.getContext("2d");
    var drawing = false;
    ctx.lineWidth = 2;
    var at = function (e) {
      // The pad is scaled by CSS to the screen's width; map the pointer back to canvas pixels.
      var r = pad.getBoundingClientRect();
      return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
    };
    pad.addEventListener("pointerdown", function (e) { drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); });
    pad.addEventListener("pointermove", function (e) { if (!drawing) { return; } var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); });
    var end = function () { if (drawing) { drawing = false; out.value = pad.toDataURL("image/png"); save(); } };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointerleave", end);
    document.getElementById("signature-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, pad.width, pad.height); out.value = "";
    });
  }
  restore();
})();
