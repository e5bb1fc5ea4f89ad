// The playground page (src/playground/web.ts): pick who you are and which chat, type, send photos, move
// the clock; the bot's answers arrive as server-sent events. Text is always inserted as text (never HTML).
(function () {
  "use strict";
  var state = { members: [], rooms: [], log: [], bot: "督办助手" };
  var me = "";
  var chat = "";
  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

  function chatKey() { return chat === "private" ? "private:" + me : "room:" + chat; }
  function nameOf(id) { for (var i = 0; i < state.members.length; i++) if (state.members[i].id === id) return state.members[i].name; return id; }

  function renderChats() {
    var rooms = $("rooms");
    rooms.textContent = "";
    state.rooms.forEach(function (r) {
      var b = el("button", r === chat ? "on" : "", r);
      b.type = "button";
      b.addEventListener("click", function () { chat = r; renderChats(); renderLog(); });
      rooms.appendChild(b);
    });
    $("private").className = chat === "private" ? "on" : "";
    $("title").textContent = chat === "private" ? nameOf(me) + " 与 " + state.bot + " 的私聊" : chat;
  }

  function entryNode(e) {
    var mine = e.from === me;
    var box = el("div", "msg " + (e.from === "bot" ? "bot" : mine ? "me" : "other"));
    box.appendChild(el("div", "meta", e.name + " · " + e.at));
    var bubble = el("div", "bubble");
    if (e.file) {
      if (e.file.image) {
        var img = el("img");
        img.src = "/api/file/" + e.file.n;
        img.alt = e.file.name;
        img.className = "pg-img";
        img.width = 160;
        bubble.appendChild(img);
      } else {
        var a = el("a", "", "📎 " + e.file.name);
        a.href = "/api/file/" + e.file.n;
        bubble.appendChild(a);
      }
    } else {
      var mentions = e.mentions && e.mentions.length ? e.mentions.map(function (n) { return "@" + n; }).join(" ") + " " : "";
      // text as text; web addresses (a /看板 link) become links
      var text = mentions + (e.text || "");
      var parts = text.split(/(https?:\/\/[^\s]+)/);
      parts.forEach(function (p, i) {
        if (i % 2) { var a = el("a", "", p); a.href = p; a.target = "_blank"; a.rel = "noopener"; bubble.appendChild(a); }
        else bubble.appendChild(document.createTextNode(p));
      });
    }
    box.appendChild(bubble);
    return box;
  }

  function renderLog() {
    var log = $("log");
    log.textContent = "";
    var key = chatKey();
    state.log.filter(function (e) { return e.chat === key; }).forEach(function (e) { log.appendChild(entryNode(e)); });
    log.scrollTop = log.scrollHeight;
  }

  function setClock(c) { $("time").textContent = c.now + (c.workday ? "（工作日）" : "（非工作日）"); }

  function post(url, body) {
    return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) alertLine(j.error || "出错了"); return j; });
    });
  }
  function alertLine(text) { var n = $("note"); n.textContent = text; n.className = "pg-hint error"; }

  fetch("/api/state").then(function (r) { return r.json(); }).then(function (s) {
    state = s;
    var who = $("who");
    s.members.forEach(function (m) {
      var o = el("option", "", m.name + (m.unit ? "（" + m.unit + "）" : "") + " · " + m.roles.join("、"));
      o.value = m.id;
      who.appendChild(o);
    });
    var stranger = el("option", "", "名册外的人");
    stranger.value = "stranger";
    who.appendChild(stranger);
    var first = s.members.filter(function (m) { return m.unit && m.roles.indexOf("领导") < 0 && m.roles.indexOf("督办员") < 0; })[0] || s.members[0];
    me = first.id;
    who.value = me;
    chat = s.rooms[0] || "private";
    who.addEventListener("change", function () { me = who.value; renderChats(); renderLog(); });
    $("private").addEventListener("click", function () { chat = "private"; renderChats(); renderLog(); });
    setClock(s.clock);
    renderChats();
    renderLog();
    var es = new EventSource("/api/events");
    es.addEventListener("message", function (ev) {
      var e = JSON.parse(ev.data);
      state.log.push(e);
      if (e.chat === chatKey()) { var log = $("log"); log.appendChild(entryNode(e)); log.scrollTop = log.scrollHeight; }
    });
    es.addEventListener("clock", function (ev) { setClock(JSON.parse(ev.data)); });
  });

  $("send").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = $("text");
    var text = t.value.trim();
    if (!text) return;
    t.value = "";
    post("/api/say", { from: me, room: chat === "private" ? "" : chat, text: text });
  });
  $("image").addEventListener("change", function () {
    var f = $("image").files[0];
    if (!f) return;
    var fd = new FormData();
    fd.append("from", me);
    fd.append("room", chat === "private" ? "" : chat);
    fd.append("file", f);
    fetch("/api/image", { method: "POST", body: fd });
    $("image").value = "";
  });
  $("next").addEventListener("click", function () { post("/api/clock", { to: "next-workday" }); });
  $("jump").addEventListener("click", function () {
    var v = $("jumpTo").value;
    if (v) post("/api/clock", { to: v.slice(0, 16) });
  });
})();
