// Minimal demo chat (text only, rendered with textContent: no HTML from the bot is interpreted).
(function () {
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("msg");
  var sender = localStorage.getItem("kl-sender") || ("web-" + Math.random().toString(36).slice(2));
  localStorage.setItem("kl-sender", sender);
  function add(cls, text) { var p = document.createElement("p"); p.className = cls; p.textContent = text; log.appendChild(p); return p; }
  function send(text, shown) {
    add("user", shown || text);
    fetch("/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sender: sender, message: text }) })
      .then(function (r) { return r.json(); })
      .then(function (msgs) {
        msgs.forEach(function (m) {
          if (!m.text) return;
          var p = add("bot", m.text);
          (m.buttons || []).forEach(function (b) {
            var btn = document.createElement("button"); btn.type = "button"; btn.textContent = b.title;
            btn.onclick = function () { send(b.payload, b.title); }; p.appendChild(document.createElement("br")); p.appendChild(btn);
          });
        });
      });
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); if (input.value.trim()) { send(input.value); input.value = ""; } });
  send("Hallo");
})();
