/* vmotion-validator HTML report: draws the pair matrices from the embedded JSON; filters, hover, detail.
   Text from the data is only ever set with textContent. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("vmv-data").textContent);
  var S = DATA.strings, KINDS = DATA.kinds, HOSTS = DATA.hosts;
  var F = {};
  DATA.fields.forEach(function (name, i) { F[name] = i; });
  var NONE_FILL = "#eef1f5", GRID_BG = "#ffffff", BOUNDARY = "rgba(29,35,48,0.55)";
  var state = { failing: false, host: -1, reason: -1, selected: null, hover: null };
  var views = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function str(i) { return i < 0 ? "" : S[i]; }
  function fmt(v, unit) { return v === null || v === undefined ? "-" : String(v) + (unit || ""); }
  function yesNo(v) { return v === null || v === undefined ? "-" : (v ? "yes" : "no"); }

  function matches(view, p) {
    var kind = KINDS[p[F.kind]];
    if (state.failing && kind.pass) return false;
    if (state.reason >= 0 && p[F.kind] !== state.reason) return false;
    if (state.host >= 0) {
      var eps = view.m.eps;
      if (eps[p[F.src]][0] !== state.host && eps[p[F.dst]][0] !== state.host) return false;
    }
    return true;
  }

  /* ---- one matrix ---- */
  function View(m, index) {
    var n = m.eps.length;
    this.m = m; this.index = index; this.n = n;
    this.grid = new Int32Array(n * n).fill(-1);
    for (var i = 0; i < m.pairs.length; i++) this.grid[m.pairs[i][F.src] * n + m.pairs[i][F.dst]] = i;
    this.groups = [];
    for (var e = 0; e < n; e++) {
      var last = this.groups[this.groups.length - 1];
      if (last && last.host === m.eps[e][0]) last.count++;
      else this.groups.push({ host: m.eps[e][0], start: e, count: 1 });
    }
    this.root = el("section", "matrix");
    this.root.id = "matrix-" + m.family;
    var h = el("h3", null, m.title + " pairs ");
    var mtu = m.mtus.length ? ", DF tested at MTU " + m.mtus.join("/") : "";
    h.appendChild(el("span", "muted", "(" + m.pairs.length + " directed pairs, " + n + " vmks on " +
      this.groups.length + " hosts" + mtu + "; rows: source, columns: destination)"));
    this.root.appendChild(h);
    var scroll = el("div", "scroll");
    var stack = el("div", "stack");
    this.base = el("canvas", "base");
    this.overlay = el("canvas", "overlay");
    this.overlay.tabIndex = 0;
    this.overlay.setAttribute("role", "img");
    this.overlay.setAttribute("aria-label", m.title + " pair matrix: " + m.pairs.length + " pairs");
    stack.appendChild(this.base); stack.appendChild(this.overlay);
    scroll.appendChild(stack);
    this.root.appendChild(scroll);
    this.bind();
  }

  View.prototype.layout = function (avail) {
    var ctx = this.base.getContext("2d"), m = this.m, n = this.n, self = this;
    var cs = Math.max(9, Math.min(40, Math.floor((avail - 150) / n)));
    var font = cs >= 14 ? 12 : Math.max(8, cs - 1);
    ctx.font = "600 " + font + "px sans-serif";
    var hostW = 0, vmkW = 0;
    this.groups.forEach(function (g) { hostW = Math.max(hostW, ctx.measureText(HOSTS[g.host]).width); });
    ctx.font = font + "px sans-serif";
    m.eps.forEach(function (ep) { vmkW = Math.max(vmkW, ctx.measureText(ep[1]).width); });
    hostW = Math.min(Math.ceil(hostW) + 14, 220);
    vmkW = Math.min(Math.ceil(vmkW) + 10, 120);
    ctx.font = "600 " + font + "px sans-serif";
    this.groups.forEach(function (g) { g.flat = ctx.measureText(HOSTS[g.host]).width + 8 <= g.count * cs; });
    var allFlat = this.groups.every(function (g) { return g.flat; });
    var hostH = allFlat ? font + 10 : hostW;
    this.geo = { cs: cs, font: font, hostW: hostW, vmkW: vmkW, hostH: hostH, vmkH: vmkW };
    this.geo.left = hostW + vmkW;
    this.geo.top = hostH + vmkW;
    this.geo.width = this.geo.left + n * cs + 2;
    this.geo.height = this.geo.top + n * cs + 2;
    var dpr = window.devicePixelRatio || 1;
    [this.base, this.overlay].forEach(function (c) {
      c.width = Math.round(self.geo.width * dpr);
      c.height = Math.round(self.geo.height * dpr);
      c.style.width = self.geo.width + "px";
      c.style.height = self.geo.height + "px";
      c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
    });
  };

  View.prototype.draw = function () {
    var ctx = this.base.getContext("2d"), g = this.geo, m = this.m, n = this.n, cs = g.cs;
    var L = g.left, T = g.top, pairs = m.pairs, grid = this.grid, self = this;
    ctx.clearRect(0, 0, g.width, g.height);
    ctx.fillStyle = GRID_BG;
    ctx.fillRect(0, 0, g.width, g.height);
    // host bands behind labels, alternating, so host boundaries read at a glance
    this.groups.forEach(function (grp, gi) {
      ctx.fillStyle = gi % 2 ? "#f1f3f6" : "#f8f9fb";
      ctx.fillRect(0, T + grp.start * cs, L, grp.count * cs);
      ctx.fillRect(L + grp.start * cs, 0, grp.count * cs, T);
    });
    ctx.textBaseline = "middle";
    // row labels: host name (centred on its rows) and vmk names
    this.groups.forEach(function (grp) {
      ctx.font = "600 " + g.font + "px sans-serif";
      ctx.fillStyle = "#1d2330";
      ctx.textAlign = "left";
      ctx.fillText(HOSTS[grp.host], 6, T + (grp.start + grp.count / 2) * cs, g.hostW - 10);
      ctx.font = "600 " + g.font + "px sans-serif";
      if (grp.flat) {
        ctx.textAlign = "center";
        ctx.fillText(HOSTS[grp.host], L + (grp.start + grp.count / 2) * cs, g.hostH - g.font / 2 - 5, grp.count * cs - 4);
      } else {
        ctx.save();
        ctx.translate(L + (grp.start + grp.count / 2) * cs, g.hostH - 4);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        ctx.fillText(HOSTS[grp.host], 0, 0, g.hostH - 8);
        ctx.restore();
      }
    });
    ctx.font = g.font + "px sans-serif";
    ctx.fillStyle = "#5f6b7a";
    for (var e = 0; e < n; e++) {
      ctx.textAlign = "right";
      ctx.fillText(m.eps[e][1], L - 5, T + (e + 0.5) * cs);
      ctx.save();
      ctx.translate(L + (e + 0.5) * cs, T - 5);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      ctx.fillText(m.eps[e][1], 0, 0);
      ctx.restore();
    }
    // cells
    var gap = cs >= 14 ? 2 : 1, shown = 0, drawn = 0;
    var codeFont = "700 " + Math.min(12, Math.floor(cs / 3)) + "px sans-serif";
    var mtuFont = Math.min(10, Math.floor(cs / 4)) + "px sans-serif";
    ctx.textAlign = "center";
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        var x = L + c * cs, y = T + r * cs, i = grid[r * n + c];
        if (i < 0) {
          ctx.globalAlpha = 1;
          ctx.fillStyle = NONE_FILL;
          ctx.fillRect(x + gap / 2, y + gap / 2, cs - gap, cs - gap);
          continue;
        }
        var p = pairs[i], kind = KINDS[p[F.kind]], on = matches(self, p);
        drawn++;
        if (on) shown++;
        ctx.globalAlpha = on ? 1 : 0.13;
        ctx.fillStyle = kind.fill;
        ctx.fillRect(x + gap / 2, y + gap / 2, cs - gap, cs - gap);
        if (!on) continue;
        if (p[F.routed] === 1) {
          var t = Math.max(3, Math.round(cs * 0.32));
          ctx.fillStyle = "rgba(0,0,0,0.55)";
          ctx.beginPath();
          ctx.moveTo(x + cs - gap / 2 - t, y + gap / 2);
          ctx.lineTo(x + cs - gap / 2, y + gap / 2);
          ctx.lineTo(x + cs - gap / 2, y + gap / 2 + t);
          ctx.closePath();
          ctx.fill();
        }
        if (cs >= 28) {
          ctx.fillStyle = kind.ink;
          var two = cs >= 36 && p[F.mtu_tested];
          ctx.font = codeFont;
          ctx.fillText(kind.code, x + cs / 2, y + cs / 2 - (two ? 5 : 0));
          if (two) {
            ctx.font = mtuFont;
            ctx.fillText(String(p[F.mtu_tested]), x + cs / 2, y + cs / 2 + 7);
          }
        }
      }
    }
    ctx.globalAlpha = 1;
    // host boundaries across labels and grid
    ctx.strokeStyle = BOUNDARY;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    this.groups.forEach(function (grp) {
      if (grp.start === 0) return;
      var o = grp.start * cs;
      ctx.moveTo(0, T + o); ctx.lineTo(L + n * cs, T + o);
      ctx.moveTo(L + o, 0); ctx.lineTo(L + o, T + n * cs);
    });
    ctx.rect(L, T, n * cs, n * cs);
    ctx.stroke();
    this.shown = shown;
    this.drawn = drawn;
    this.base.setAttribute("data-cells", String(drawn));
    this.base.setAttribute("data-shown", String(shown));
    this.drawOverlay();
  };

  View.prototype.drawOverlay = function () {
    var ctx = this.overlay.getContext("2d"), g = this.geo, cs = g.cs, n = this.n;
    ctx.clearRect(0, 0, g.width, g.height);
    var h = state.hover && state.hover.view === this ? state.hover : null;
    if (h) {
      ctx.fillStyle = "rgba(28,126,214,0.12)";
      ctx.fillRect(0, g.top + h.r * cs, g.left + n * cs, cs);
      ctx.fillRect(g.left + h.c * cs, 0, cs, g.top + n * cs);
      ctx.strokeStyle = "#1c7ed6";
      ctx.lineWidth = 2;
      ctx.strokeRect(g.left + h.c * cs + 1, g.top + h.r * cs + 1, cs - 2, cs - 2);
    }
    var s = state.selected && state.selected.view === this ? state.selected : null;
    if (s) {
      var x = g.left + s.c * cs, y = g.top + s.r * cs;
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(x + 1, y + 1, cs - 2, cs - 2);
      ctx.strokeStyle = "#000000";
      ctx.strokeRect(x - 1, y - 1, cs + 2, cs + 2);
    }
  };

  View.prototype.cellAt = function (ev) {
    var rect = this.overlay.getBoundingClientRect(), g = this.geo;
    var c = Math.floor((ev.clientX - rect.left - g.left) / g.cs);
    var r = Math.floor((ev.clientY - rect.top - g.top) / g.cs);
    if (r < 0 || c < 0 || r >= this.n || c >= this.n) return null;
    return { view: this, r: r, c: c, i: this.grid[r * this.n + c] };
  };

  View.prototype.bind = function () {
    var self = this, ov = this.overlay;
    ov.addEventListener("mousemove", function (ev) {
      var hit = self.cellAt(ev);
      state.hover = hit;
      self.drawOverlay();
      if (hit && hit.i >= 0) showTooltip(self, hit.i, ev.clientX, ev.clientY);
      else hideTooltip();
    });
    ov.addEventListener("mouseleave", function () {
      state.hover = null;
      self.drawOverlay();
      hideTooltip();
    });
    ov.addEventListener("click", function (ev) {
      var hit = self.cellAt(ev);
      if (hit && hit.i >= 0) select(hit);
    });
    ov.addEventListener("keydown", function (ev) {
      var s = state.selected && state.selected.view === self ? state.selected : { r: 0, c: 0 };
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      var d = moves[ev.key];
      if (!d) return;
      ev.preventDefault();
      var r = Math.max(0, Math.min(self.n - 1, s.r + d[0])), c = Math.max(0, Math.min(self.n - 1, s.c + d[1]));
      select({ view: self, r: r, c: c, i: self.grid[r * self.n + c] });
    });
  };

  /* ---- tooltip and detail ---- */
  function endpointText(view, e) {
    var ep = view.m.eps[e];
    return HOSTS[ep[0]] + ":" + ep[1];
  }
  function line(parent, label, value, cls) {
    var d = el("div", cls || "tline");
    if (label) d.appendChild(el("b", null, label + " "));
    d.appendChild(document.createTextNode(value));
    parent.appendChild(d);
  }
  function showTooltip(view, i, x, y) {
    var p = view.m.pairs[i], kind = KINDS[p[F.kind]], tip = document.getElementById("tooltip");
    tip.textContent = "";
    line(tip, "", endpointText(view, p[F.src]) + " \u2192 " + endpointText(view, p[F.dst]));
    line(tip, kind.label.toUpperCase(), str(p[F.detail]), "twrap");
    line(tip, "loss", fmt(p[F.loss], "%") + "   rtt " + fmt(p[F.rtt_min]) + "/" + fmt(p[F.rtt_avg]) + "/" +
      fmt(p[F.rtt_max]) + " ms   ttl " + fmt(p[F.ttl]));
    line(tip, "MTU", fmt(p[F.mtu_tested]) + (p[F.max_mtu] ? " (max " + p[F.max_mtu] + ")" : "") +
      (p[F.routed] === 1 ? "   routed" : p[F.routed] === 0 ? "   on-link" : ""));
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = x + 16 + w > window.innerWidth ? x - w - 12 : x + 16;
    var top = y + 16 + h > window.innerHeight ? y - h - 12 : y + 16;
    tip.style.left = Math.max(4, left) + "px";
    tip.style.top = Math.max(4, top) + "px";
  }
  function hideTooltip() { document.getElementById("tooltip").hidden = true; }

  function select(hit) {
    var prev = state.selected;
    state.selected = hit;
    if (prev && prev.view !== hit.view) prev.view.drawOverlay();
    hit.view.drawOverlay();
    showDetail(hit);
  }

  function showDetail(hit) {
    var box = document.getElementById("detail"), view = hit.view;
    box.textContent = "";
    if (hit.i < 0) {
      box.appendChild(el("h3", null, endpointText(view, hit.r) + " \u2192 " + endpointText(view, hit.c)));
      box.appendChild(el("p", "muted", "Not probed: same host, or not planned."));
      return;
    }
    var p = view.m.pairs[hit.i], kind = KINDS[p[F.kind]], eps = view.m.eps;
    box.appendChild(el("h3", null, endpointText(view, p[F.src]) + " \u2192 " + endpointText(view, p[F.dst])));
    box.appendChild(el("div", "route", eps[p[F.src]][2] + " \u2192 " + eps[p[F.dst]][2] + "  (" + view.m.title + ")"));
    var chip = el("span", "verdict-chip", kind.label);
    chip.id = "detail-verdict";
    chip.style.background = kind.fill;
    chip.style.color = kind.ink;
    var cp = el("p");
    cp.appendChild(chip);
    box.appendChild(cp);
    var dl = el("dl");
    function row(label, value, id) {
      dl.appendChild(el("dt", null, label));
      var dd = el("dd", null, value);
      if (id) dd.id = id;
      dl.appendChild(dd);
    }
    row("Reason", kind.pass ? "-" : kind.label, "detail-reason");
    row("Detail", str(p[F.detail]) || "-", "detail-text");
    row("Loss", fmt(p[F.loss], " %"));
    row("RTT min/avg/max", p[F.rtt_avg] === null ? "-" :
      fmt(p[F.rtt_min]) + " / " + fmt(p[F.rtt_avg]) + " / " + fmt(p[F.rtt_max]) + " ms");
    row("TTL", fmt(p[F.ttl]));
    row("Routed", yesNo(p[F.routed]));
    row("MTU tested", fmt(p[F.mtu_tested]) + (p[F.mtu_ok] === null ? "" : p[F.mtu_ok] ? " (DF passed)" : " (DF lost)"));
    row("Max MTU", fmt(p[F.max_mtu]));
    row("Source MTU", fmt(eps[p[F.src]][3]));
    row("Dest. MTU", fmt(eps[p[F.dst]][3]));
    box.appendChild(dl);
    var next = p[F.next] || [];
    if (next.length) {
      box.appendChild(el("h3", null, "Next steps"));
      var ul = el("ul", "next-steps");
      ul.id = "detail-next";
      next.forEach(function (n) {
        var step = DATA.steps[n], li = el("li", null, step.title);
        step.lines.forEach(function (text) { li.appendChild(el("div", "step-line", text)); });
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.appendChild(el("h3", null, "Raw vmkping output"));
    var raw = str(p[F.raw]);
    var pre = el("pre", "raw", raw || (kind.pass && !DATA.passRaw ?
      "(kept only for pairs that did not pass in a report this large; see report.json)" : "(none)"));
    pre.id = "detail-raw";
    box.appendChild(pre);
  }

  /* ---- filters, legend ---- */
  function option(select, value, text) {
    var o = el("option", null, text);
    o.value = String(value);
    select.appendChild(o);
  }
  function buildFilters() {
    var box = document.getElementById("filters");
    var lab = el("label");
    var cb = el("input");
    cb.type = "checkbox"; cb.id = "f-failing";
    lab.appendChild(cb); lab.appendChild(document.createTextNode("Failing only"));
    box.appendChild(lab);
    var hostSel = el("select"); hostSel.id = "f-host";
    option(hostSel, -1, "All hosts");
    HOSTS.forEach(function (h, i) { option(hostSel, i, h); });
    var hl = el("label", null, "Host"); hl.appendChild(hostSel); box.appendChild(hl);
    var reasonSel = el("select"); reasonSel.id = "f-reason";
    option(reasonSel, -1, "All verdicts");
    KINDS.forEach(function (k, i) { option(reasonSel, i, k.label + " (" + k.n + ")"); });
    var rl = el("label", null, "Verdict"); rl.appendChild(reasonSel); box.appendChild(rl);
    var reset = el("button", null, "Reset"); reset.type = "button"; reset.id = "f-reset";
    box.appendChild(reset);
    var count = el("span", "count"); count.id = "f-count";
    box.appendChild(count);
    cb.addEventListener("change", function () { state.failing = cb.checked; refresh(); });
    hostSel.addEventListener("change", function () { state.host = Number(hostSel.value); refresh(); });
    reasonSel.addEventListener("change", function () { state.reason = Number(reasonSel.value); refresh(); });
    reset.addEventListener("click", function () {
      cb.checked = false; hostSel.value = "-1"; reasonSel.value = "-1";
      state.failing = false; state.host = -1; state.reason = -1;
      refresh();
    });
  }
  function buildLegend() {
    var box = document.getElementById("legend");
    KINDS.forEach(function (k, i) {
      var item = el("span", "item");
      item.setAttribute("data-kind", String(i));
      var sw = el("span", "sw");
      sw.style.background = k.fill;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(k.code + " = " + k.label + " (" + k.n + ")"));
      item.title = "Show only " + k.label;
      item.addEventListener("click", function () {
        var sel = document.getElementById("f-reason");
        sel.value = String(state.reason === i ? -1 : i);
        state.reason = Number(sel.value);
        refresh();
      });
      box.appendChild(item);
    });
    var r = el("span", "item"); r.appendChild(el("span", "sw routed")); r.appendChild(document.createTextNode("routed (reply TTL shows a router hop)"));
    box.appendChild(r);
    var none = el("span", "item"); none.appendChild(el("span", "sw none")); none.appendChild(document.createTextNode("same host / not planned"));
    box.appendChild(none);
    var byLabel = {};
    KINDS.forEach(function (k) { byLabel[k.label] = k; });
    var chips = document.querySelectorAll("#failing .chip[data-kind]");
    for (var c = 0; c < chips.length; c++) {
      var kind = byLabel[chips[c].getAttribute("data-kind")];
      if (kind) { chips[c].style.background = kind.fill; chips[c].style.color = kind.ink; }
    }
  }
  function filterGroups() {
    var items = document.querySelectorAll("#failing ul.groups li");
    var reason = state.reason >= 0 ? KINDS[state.reason].label : null;
    var host = state.host >= 0 ? HOSTS[state.host] : null;
    for (var i = 0; i < items.length; i++) {
      var li = items[i], ok = true;
      if (reason !== null && li.getAttribute("data-reason") !== reason) ok = false;
      if (host !== null && JSON.parse(li.getAttribute("data-hosts")).indexOf(host) < 0) ok = false;
      li.hidden = !ok;
    }
  }
  function refresh() {
    var shown = 0, total = 0;
    views.forEach(function (v) { v.draw(); shown += v.shown; total += v.drawn; });
    document.getElementById("f-count").textContent = "Showing " + shown + " of " + total + " pairs";
    var items = document.querySelectorAll("#legend .item[data-kind]");
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("active", Number(items[i].getAttribute("data-kind")) === state.reason);
    }
    filterGroups();
  }

  function layoutAll() {
    var container = document.getElementById("matrices");
    var avail = Math.max(300, container.clientWidth);
    views.forEach(function (v) { v.layout(avail); });
    refresh();
  }

  /* ---- start ---- */
  var container = document.getElementById("matrices");
  if (!DATA.matrices.length) container.appendChild(el("p", "muted", "No pairs were probed."));
  DATA.matrices.forEach(function (m, i) {
    var v = new View(m, i);
    views.push(v);
    container.appendChild(v.root);
  });
  buildFilters();
  buildLegend();
  layoutAll();
  var resizeTimer = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(layoutAll, 150);
  });

  window.vmv = {
    endpoints: function (mi) { var v = views[mi]; return v.m.eps.map(function (ep, e) { return endpointText(v, e); }); },
    geometry: function (mi) { var g = views[mi].geo; return { left: g.left, top: g.top, cs: g.cs, width: g.width, height: g.height }; },
    drawnMs: performance.now(),
    renderMs: null
  };
  // ready once the drawn frame has been presented: the next frame after it has begun
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      window.vmv.renderMs = performance.now();
      document.documentElement.setAttribute("data-ready", "1");
    });
  });
})();
