// repscope report: interactive heatmaps and sortable tables, drawn from the
// data embedded in the page (no network, no libraries).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("repscope-data").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var tip = document.getElementById("tip");

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, s, cls, anchor, rotate) {
    var t = el("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
    if (cls) t.setAttribute("class", cls);
    if (rotate) t.setAttribute("transform", "rotate(" + rotate + " " + x + " " + y + ")");
    t.textContent = s;
    return t;
  }

  function hexToRgb(h) {
    return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
  }
  var stops = data.viridis.map(hexToRgb);

  // Viridis at t in [0, 1], interpolated between the embedded stops.
  function viridis(t) {
    if (!isFinite(t)) return "#e1e1e1";
    t = Math.min(1, Math.max(0, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(t)), f = t - i;
    var c = stops[i].map(function (a, k) { return Math.round(a + f * (stops[i + 1][k] - a)); });
    return "rgb(" + c.join(",") + ")";
  }

  function fmt(v, digits) {
    if (v === null || !isFinite(v)) return "NaN";
    return v.toFixed(digits);
  }

  function showTip(evt, html) {
    tip.innerHTML = html;
    tip.style.display = "block";
    tip.style.left = evt.clientX + 14 + "px";
    tip.style.top = evt.clientY + 12 + "px";
  }
  function hideTip() { tip.style.display = "none"; }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function range(m) {
    if (m.range) return m.range;
    var lo = Infinity, hi = -Infinity;
    m.values.forEach(function (r) { r.forEach(function (v) {
      if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }); });
    if (!(hi >= lo)) return [0, 1];
    return hi > lo ? [lo, hi] : [lo, lo + 1];
  }

  // A value as a sort key: missing (null, NaN) below every number. (A
  // plain `v || -Infinity` would also sink the zeros.)
  function key(v) { return v === null || !isFinite(v) ? -Infinity : v; }
  // A comparator putting larger values of get(index) first (missing ones
  // equal to each other, last).
  function descending(get) {
    return function (a, b) {
      var d = key(get(b)) - key(get(a));
      return isNaN(d) ? 0 : d;
    };
  }

  function identity(n) { var o = []; for (var i = 0; i < n; i++) o.push(i); return o; }

  // One heatmap: cells coloured by value, hover for names and value, click
  // a row (column) name to sort the columns (rows) by it, buttons for the
  // original and the clustered order.
  function heatmap(host, m) {
    var nr = m.rows.length, nc = m.cols.length;
    var rowOrder = identity(nr), colOrder = identity(nc);
    var longest = 0;
    m.rows.concat(m.cols).forEach(function (s) { longest = Math.max(longest, String(s).length); });
    var cell = Math.max(8, Math.min(48, Math.floor(560 / Math.max(nr, nc))));
    var labelSpace = 16 + 7 * Math.min(longest, 40);
    var top = m.subtitle ? 52 : 34;
    var rotate = longest * 7 > cell;
    var colSpace = rotate ? labelSpace : 24;
    var width = Math.max(labelSpace + cell * nc + 110, 7 * String(m.subtitle || "").length + 20,
                         11 * String(m.title).length + 20);
    var height = top + cell * nr + colSpace + 10;
    var lohi = range(m), lo = lohi[0], span = lohi[1] - lohi[0];
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, class: "heatmap" });
    host.appendChild(svg);
    text(svg, width / 2, 20, m.title, "title", "middle");
    if (m.subtitle) text(svg, width / 2, 40, m.subtitle, "subtitle", "middle");
    var grid = el("g", { transform: "translate(" + labelSpace + "," + top + ")" }, svg);
    var showValues = cell >= 34;
    var square = m.square;

    function draw() {
      while (grid.firstChild) grid.removeChild(grid.firstChild);
      rowOrder.forEach(function (i, y) {
        colOrder.forEach(function (j, x) {
          var v = m.values[i][j];
          var r = el("rect", { x: x * cell, y: y * cell, width: cell, height: cell,
            fill: viridis((v - lo) / span), "data-row": i, "data-col": j }, grid);
          r.addEventListener("mousemove", function (evt) {
            showTip(evt, "<b>" + esc(m.rows[i]) + "</b> \u00d7 <b>" + esc(m.cols[j]) + "</b><br>" +
              esc(m.value_label) + " = " + fmt(v, 4));
          });
          r.addEventListener("mouseleave", hideTip);
          if (showValues) {
            var t = text(grid, x * cell + cell / 2, y * cell + cell / 2 + 4, fmt(v, 2), "value", "middle");
            t.setAttribute("style", "fill:" + ((v - lo) / span > 0.6 ? "#000" : "#fff"));
          }
        });
        var rl = text(grid, -6, y * cell + cell / 2 + 4, m.rows[i], "label", "end");
        rl.setAttribute("data-row-label", i);
        rl.addEventListener("click", function () { sortBy("row", i); });
        var title = el("title", {}, rl); title.textContent = "sort the columns by " + m.rows[i];
      });
      colOrder.forEach(function (j, x) {
        var cx = x * cell + cell / 2, cy = nr * cell + 14;
        var cl = rotate ? text(grid, cx + 4, nr * cell + 8, m.cols[j], "label", "start", 90)
                        : text(grid, cx, cy, m.cols[j], "label", "middle");
        cl.setAttribute("data-col-label", j);
        cl.addEventListener("click", function () { sortBy("col", j); });
        var title = el("title", {}, cl); title.textContent = "sort the rows by " + m.cols[j];
      });
    }

    // Sorting by a row orders the columns by that row's values (largest
    // first); a square matrix with the same names on both axes keeps its
    // rows in the same order as its columns.
    function sortBy(axis, k) {
      if (axis === "row") {
        colOrder = identity(nc).sort(descending(function (j) { return m.values[k][j]; }));
        if (square) rowOrder = colOrder.slice();
      } else {
        rowOrder = identity(nr).sort(descending(function (i) { return m.values[i][k]; }));
        if (square) colOrder = rowOrder.slice();
      }
      setActive(null);
      draw();
    }

    // Colour bar.
    var bx = labelSpace + cell * nc + 30, bh = Math.max(60, cell * nr);
    var defs = el("defs", {}, svg);
    var gid = host.id + "-grad";
    var grad = el("linearGradient", { id: gid, x1: 0, y1: 1, x2: 0, y2: 0 }, defs);
    for (var s = 0; s <= 10; s++) el("stop", { offset: s / 10, "stop-color": viridis(s / 10) }, grad);
    el("rect", { x: bx, y: top, width: 16, height: bh, fill: "url(#" + gid + ")" }, svg);
    text(svg, bx + 22, top + 10, fmt(lo + span, 2), null, "start");
    text(svg, bx + 22, top + bh, fmt(lo, 2), null, "start");

    var tools = document.createElement("div");
    tools.className = "tools";
    var buttons = {};
    [["original", "original order"], ["cluster", "cluster"]].forEach(function (b) {
      var btn = document.createElement("button");
      btn.textContent = b[1];
      btn.addEventListener("click", function () {
        if (b[0] === "cluster") { rowOrder = m.row_order.slice(); colOrder = m.col_order.slice(); }
        else { rowOrder = identity(nr); colOrder = identity(nc); }
        setActive(b[0]);
        draw();
      });
      buttons[b[0]] = btn;
      tools.appendChild(btn);
    });
    function setActive(name) {
      for (var k in buttons) buttons[k].className = k === name ? "on" : "";
    }
    host.appendChild(tools);
    setActive("original");
    draw();
  }

  data.heatmaps.forEach(function (m) {
    var host = document.getElementById(m.id);
    if (host) heatmap(host, m);
  });

  // Tables: click a header to sort by that column (again to reverse).
  Array.prototype.forEach.call(document.querySelectorAll("table.data"), function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, c) {
      var dir = 1;
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[c], y = b.cells[c];
          var vx = parseFloat(x.getAttribute("data-value")), vy = parseFloat(y.getAttribute("data-value"));
          if (isFinite(vx) && isFinite(vy)) return dir * (vx - vy);
          return dir * x.textContent.localeCompare(y.textContent);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        dir = -dir;
      });
    });
  });
})();
