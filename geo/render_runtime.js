// Corridor Atlas map runtime: draws the compact layer payloads written by geo/render.py on Leaflet's
// canvas and builds popups on demand. Every string from the data is set with textContent, never
// innerHTML. Hooks for tests: window.corridorAtlas.counts(), .openPopup(layer, index), .layers.
var corridorAtlas = (window.corridorAtlas = (function () {
  "use strict";
  // Layer-specific knowledge (labels, drawing classes, order) comes with each layer's payload and the
  // provenance footer with the config: this script holds no layer names.
  var SKIP = ["name", "tags", "documents"];
  var OSM_ID = /^osm:(node|way|relation)\/(\d+)$/;
  var SAFE_URL = /^https?:\/\//;
  var DOCUMENTS_SHOWN = 5;
  // Layers are stacked by their `order` (bottom to top), the entry-port rings on top, whenever a layer is
  // (re)added. One canvas holds every data layer: stacked canvases would each swallow the clicks meant
  // for the ones below.
  var api = { map: null, layers: {}, config: {}, renderers: {}, legend: null };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function decodePath(flat, scale) {
    var out = new Array(flat.length / 2);
    var x = 0;
    var y = 0;
    for (var i = 0; i < flat.length; i += 2) {
      x += flat[i];
      y += flat[i + 1];
      out[i / 2] = [y / scale, x / scale];
    }
    return out;
  }

  function decode(node, scale) {
    if (typeof node[0] === "number") return decodePath(node, scale);
    return node.map(function (child) {
      return decode(child, scale);
    });
  }

  function value(props, column, i) {
    var d = props.data[column];
    if (!d) return null;
    if (d.r) return d.r[i];
    var code = d.c[i];
    if (code < 0) return null;
    return d.s ? d.p[code] + d.s[i] : d.v[code];
  }

  function label(layer, column) {
    return (layer.labels || {})[column] || column.replace(/_/g, " ");
  }

  function footerColumns() {
    return (api.config.footer || []).map(function (pair) {
      return pair[1];
    });
  }

  function row(table, name, content) {
    var tr = el("tr");
    tr.appendChild(el("th", null, name));
    var td = el("td");
    if (typeof content === "string") td.textContent = content;
    else td.appendChild(content);
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function link(url, text) {
    var a = el("a", null, text);
    if (SAFE_URL.test(url)) a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function idContent(id) {
    var match = OSM_ID.exec(id || "");
    if (!match) return String(id);
    return link("https://www.openstreetmap.org/" + match[1] + "/" + match[2], id);
  }

  function tagsSection(tags, i) {
    if (!tags) return null;
    var table = el("table");
    var shown = 0;
    tags.keys.forEach(function (key) {
      var v = value(tags, key, i);
      if (v === null || v === undefined) return;
      row(table, key, String(v));
      shown++;
    });
    if (!shown) return null;
    var details = el("details", "ca-popup-tags");
    details.appendChild(el("summary", null, "Source attributes (" + shown + ")"));
    details.appendChild(table);
    return details;
  }

  // `text` is "id~match~reason|...": indexes into config.matches (how sure the match of the document to
  // this feature is) and config.reasons (why it applies). The web address is said apart, in doc.a.
  function documentsSection(text, table) {
    if (!text) return null;
    var docs = table.documents || {};
    var matches = table.matches || [];
    var reasons = table.reasons || [];
    var list = el("ul");
    var more = el("ul");
    text.split("|").forEach(function (entry) {
      var parts = entry.split("~");
      var doc = docs[parts[0]];
      if (!doc) return;
      var li = el("li");
      li.setAttribute("data-document-id", parts[0]);
      li.appendChild(doc.u ? link(doc.u, doc.t) : el("span", null, doc.t));
      var note = [doc.i, doc.s].filter(Boolean).join(", ");
      if (note) li.appendChild(el("span", "ca-doc-note", " (" + note + ")"));
      var how = [matches[Number(parts[1])], doc.a].filter(Boolean).join("; ");
      if (how) li.appendChild(el("div", "ca-doc-match", how));
      var why = reasons[Number(parts[2])];
      if (why) li.appendChild(el("div", "ca-doc-why", why));
      (list.childNodes.length < DOCUMENTS_SHOWN ? list : more).appendChild(li);
    });
    if (!list.childNodes.length) return null;
    var section = el("div", "ca-popup-documents");
    section.appendChild(el("div", "ca-popup-heading", "Policy documents"));
    section.appendChild(list);
    if (more.childNodes.length) {
      var details = el("details");
      details.appendChild(el("summary", null, more.childNodes.length + " more"));
      details.appendChild(more);
      section.appendChild(details);
    }
    return section;
  }

  // The popup of feature `i` of the properties table `p` (the page's own, or a fetched popup shard) of
  // layer `key`; `docs` is the documents table its "documents" column points into; `extra` adds the
  // rows the page carries for it beside a shard ({props, index}, e.g. why a port is an entry port).
  function popupContent(key, p, i, docs, extra) {
    var layer = api.layers[key];
    var id = value(p, "id", i);
    var root = el("div", "ca-popup");
    root.setAttribute("data-layer", key);
    root.setAttribute("data-feature-id", id || "");
    root.appendChild(el("div", "ca-popup-title", value(p, "name", i) || id));
    root.appendChild(el("div", "ca-popup-layer", layer.title));
    var table = el("table", "ca-popup-attrs");
    var skip = SKIP.concat(footerColumns(), [api.config.credit]);
    p.cols.forEach(function (column) {
      if (skip.indexOf(column) >= 0) return;
      var v = value(p, column, i);
      if (v === null || v === undefined || v === "") return;
      row(table, label(layer, column), column === "id" ? idContent(v) : String(v));
    });
    if (extra) {
      extra.props.cols.forEach(function (column) {
        var v = column === "id" ? null : value(extra.props, column, extra.index);
        if (v !== null && v !== undefined && v !== "") row(table, label(layer, column), String(v));
      });
    }
    root.appendChild(table);
    var documents = documentsSection(value(p, "documents", i), docs);
    if (documents) root.appendChild(documents);
    var tags = tagsSection(p.tags, i);
    if (tags) root.appendChild(tags);
    var footer = el("div", "ca-popup-source");
    (api.config.footer || []).forEach(function (pair) {
      var v = value(p, pair[1], i);
      if (v) footer.appendChild(el("div", null, pair[0] + ": " + v));
    });
    var credit = value(p, api.config.credit, i);
    if (credit) footer.appendChild(el("div", "ca-popup-credit", credit));
    var caveat = (layer.caveats || {})[value(p, "source", i)];
    if (caveat) footer.appendChild(el("div", "ca-popup-caveat", caveat));
    root.appendChild(footer);
    return root;
  }

  function anchor(feature) {
    return feature.getLatLng ? feature.getLatLng() : feature.getCenter();
  }

  // Popups fit the map (a phone's too) and scroll inside.
  function showPopup(latlng, content) {
    var size = api.map.getSize();
    var fit = { maxWidth: Math.min(380, size.x - 70), maxHeight: Math.min(440, Math.round(size.y * 0.6)) };
    return L.popup({ maxWidth: fit.maxWidth, minWidth: Math.min(50, fit.maxWidth), maxHeight: fit.maxHeight, className: "ca-popup-wrapper" })
      .setLatLng(latlng)
      .setContent(content)
      .openOn(api.map);
  }

  // --- popups from the tile archives' shards (geo/tiles.py) ---
  var fetched = {};

  function fetchJson(url) {
    if (!fetched[url]) {
      fetched[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      });
    }
    return fetched[url];
  }

  // FNV-1a (32 bit) of the UTF-8 bytes of `text`: the shard a feature's popup is in (geo.tiles.shard_of).
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    return hash >>> 0;
  }

  // The popup data of feature `id` of layer `key`, looked up in the archives `indexes` in turn:
  // a promise of {props, index, docs}, or null when none holds it.
  function lookup(key, id, indexes) {
    var archives = api.config.tiles.archives;
    return indexes.reduce(function (found, a) {
      return found.then(function (hit) {
        if (hit) return hit;
        var archive = archives[a];
        var shards = archive.shards[key] || 1;
        var url = archive.popups + "popups/" + key + "/" + (fnv1a(id) % shards) + ".json";
        return Promise.all([fetchJson(url), fetchJson(archive.popups + "docs.json")]).then(function (both) {
          var index = both[0].ids.indexOf(id);
          return index < 0 ? null : { props: both[0].props, index: index, docs: both[1] };
        });
      });
    }, Promise.resolve(null));
  }

  function openFetched(key, id, indexes, latlng, extra) {
    var popup = showPopup(latlng, el("div", "ca-popup ca-popup-loading", "Loading ..."));
    lookup(key, id, indexes).then(
      function (hit) {
        popup.setContent(
          hit
            ? popupContent(key, hit.props, hit.index, hit.docs, extra)
            : el("div", "ca-popup", "No details are stored for " + id + ".")
        );
      },
      function () {
        popup.setContent(el("div", "ca-popup", "The details of this feature could not be loaded; reload the page."));
      }
    );
    return popup;
  }

  // Value `i` of `column` of a properties table (geo.wire.property_table), for the tests and the page.
  api.value = value;

  api.openPopup = function (key, i, latlng) {
    var layer = api.layers[key];
    if (!layer || !layer.features[i]) return false;
    var at = latlng || anchor(layer.features[i]);
    var local = layer.local ? layer.local.rows.indexOf(i) : -1;
    if (local >= 0) showPopup(at, popupContent(key, layer.local.props, local, api.config, null));
    else if (layer.popups) openFetched(key, value(layer.props, "id", i), layer.popups, at, { props: layer.props, index: i });
    else showPopup(at, popupContent(key, layer.props, i, api.config, null));
    return true;
  };

  // --- lines drawn from vector tiles: a thin adapter over protomaps-leaflet, kept apart so that the
  // library (in maintenance mode) can be swapped for another reader without touching the rest ---

  function keep(data, archive, props) {
    var filter = data.filter || {};
    if (filter.countries && filter.countries.indexOf(props.country) < 0) return false;
    if (filter.docs && filter.docs[archive].indexOf(props.doc) < 0) return false;
    if (filter.ids) {
      if (!filter.idSet) filter.idSet = new Set(filter.ids);
      if (!filter.idSet.has(String(props.id))) return false;
    }
    return true;
  }

  // The library draws nothing, silently, when an archive cannot be read: check each archive once with
  // the same kind of range request, and say so on the map when it fails.
  var probed = {};
  function probeArchive(url) {
    if (probed[url]) return;
    probed[url] = fetch(url, { headers: { Range: "bytes=0-126" } })
      .then(function (response) {
        if (response.status !== 206) throw new Error("HTTP " + response.status);
      })
      .catch(function (error) {
        var text = "The map's lines could not be loaded (" + error.message + "); reload the page to try again.";
        if (!api.tilesNotice) api.tilesNotice = new Notice({ text: text }).addTo(api.map);
      });
  }

  function tileLayer(key, data) {
    var archives = api.config.tiles.archives;
    var sources = {};
    var rules = [];
    data.tiles.forEach(function (a) {
      probeArchive(archives[a].url);
      sources["a" + a] = { url: archives[a].url, maxDataZoom: archives[a].maxZoom };
      archives[a].levels.forEach(function (level) {
        // The rule drawing one class of lines (or, with `casing`, its outline) from this archive and level.
        function rule(style, casing) {
          var extra = casing ? casingPx() : 0;
          return {
            dataSource: "a" + a,
            dataLayer: key + "." + level,
            symbolizer: new protomapsL.LineSymbolizer({
              color: casing ? style.casing : style.color,
              width: function (z) {
                return lineScale(z) * (style.weight + extra);
              },
              opacity: 0.85,
              dash: !casing && style.dash ? style.dash.split(" ").map(Number) : undefined,
            }),
            filter: function (z, feature) {
              return feature.props.cls === style.key && keep(data, a, feature.props);
            },
          };
        }
        // Casings first, so that every outline lies under every line of the layer.
        data.styles.forEach(function (style) {
          if (style.casing) rules.push(rule(style, true));
        });
        data.styles.forEach(function (style) {
          rules.push(rule(style, false));
        });
      });
    });
    // attribution "" keeps the library's own credit off: each layer credits its sources (see `credit`).
    return protomapsL.leafletLayer({ sources: sources, paintRules: rules, labelRules: [], attribution: "", pane: "caTiles" });
  }

  // A click on the map that hit no drawn feature: the nearest tiled line under it opens its popup.
  function onMapClick(e) {
    if (Date.now() - api.lastFeatureClick < 300) return;
    var keys = Object.keys(api.layers).sort(function (a, b) {
      return (api.layers[b].order || 0) - (api.layers[a].order || 0);
    });
    for (var k = 0; k < keys.length; k++) {
      var data = api.layers[keys[k]];
      if (!data.tileLayer || !api.map.hasLayer(data.group)) continue;
      var found = data.tileLayer.queryTileFeaturesDebug(e.latlng.lng, e.latlng.lat, 8);
      for (var source of found.keys()) {
        var archive = Number(source.slice(1));
        var hits = found.get(source).filter(function (picked) {
          return picked.layerName.indexOf(keys[k] + ".") === 0 && keep(data, archive, picked.feature.props);
        });
        if (hits.length) {
          api.lastTiledPopup = openFetched(keys[k], String(hits[0].feature.props.id), [archive], e.latlng, null);
          return;
        }
      }
    }
  }

  api.addBasemapTiles = function (key, group) {
    if (!api.canvas) return;
    var basemap = api.config.tiles && api.config.tiles.basemap;
    if (!basemap) return;
    var layer = protomapsL.leafletLayer({
      url: basemap.url,
      maxDataZoom: basemap.maxZoom,
      paintRules: [
        { dataLayer: "outlines", symbolizer: new protomapsL.PolygonSymbolizer({ fill: "#f3f0e8" }) },
        { dataLayer: "outlines", symbolizer: new protomapsL.LineSymbolizer({ color: "#9c9c9c", width: 0.7 }) },
      ],
      labelRules: [],
      attribution: "",
      pane: "caBasemap",
    });
    group.addLayer(layer);
    credit(group, api.config.tiles.basemapCredits);
  };

  // Each credit goes to Leaflet's attribution control on its own while the group is on the map: the
  // control counts identical credits, so one shared by several layers (Natural Earth) shows once.
  function credit(group, credits) {
    function each(method) {
      return function () {
        var control = api.map && api.map.attributionControl;
        if (control) (credits || []).forEach(function (text) {
          control[method](text);
        });
      };
    }
    group.on("add", each("addAttribution"));
    group.on("remove", each("removeAttribution"));
    if (api.map && api.map.hasLayer(group)) each("addAttribution")();
  }

  function onClick(key) {
    return function (e) {
      var target = e.propagatedFrom || e.layer;
      if (target && target.caIndex !== undefined) {
        api.lastFeatureClick = Date.now();
        api.openPopup(key, target.caIndex, e.latlng);
      }
    };
  }

  // Lines are drawn thinner at small scales, where the whole network of a continent shares the frame;
  // every line by the same factor, so their widths keep the ratios the legend shows (geo.palette).
  var LINE_SCALE = { 3: 0.5, 4: 0.5, 5: 0.65, 6: 0.8, 7: 0.9 };
  function lineScale(zoom) {
    var z = Math.round(zoom);
    return z >= 8 ? 1 : LINE_SCALE[z] || 0.5;
  }

  function casingPx() {
    return api.config.casingPx || 0;
  }

  // A legend line as the map draws it: its width, dash and casing (an outline around it).
  function swatch(style) {
    var s = el("span", "ca-swatch-line");
    s.style.borderTopColor = style.color;
    s.style.borderTopWidth = Math.max(1, Math.round(style.weight)) + "px";
    if (style.dash) s.style.borderTopStyle = "dashed";
    if (style.casing) s.style.boxShadow = "0 0 0 " + casingPx() / 2 + "px " + style.casing;
    return s;
  }

  function dot(color, radius, shape) {
    var s = el("span", "ca-swatch-dot ca-shape-" + (shape || "circle"));
    s.style.background = color;
    s.style.width = s.style.height = 2 * radius + "px";
    return s;
  }

  // A point marker of one of the symbols PointStyle names: circle (ports), square, diamond.
  // Below Europe's zoom (a phone's first view) symbols are drawn smaller, as the lines are thinner.
  var SMALL_SYMBOLS = { zoom: 4, scale: 0.6 };
  var SymbolMarker = L.CircleMarker.extend({
    _updatePath: function () {
      var full = this._radius;
      if (this._map && this._map.getZoom() < SMALL_SYMBOLS.zoom) this._radius = full * SMALL_SYMBOLS.scale;
      this._drawSymbol();
      this._radius = full;
    },
    _drawSymbol: function () {
      var shape = this.options.shape;
      var renderer = this._renderer;
      if (!shape || shape === "circle" || !renderer._ctx) return L.CircleMarker.prototype._updatePath.call(this);
      if (!renderer._drawing || this._empty()) return;
      var p = this._point;
      var r = this._radius;
      var ctx = renderer._ctx;
      ctx.beginPath();
      if (shape === "diamond") {
        ctx.moveTo(p.x, p.y - r);
        ctx.lineTo(p.x + r, p.y);
        ctx.lineTo(p.x, p.y + r);
        ctx.lineTo(p.x - r, p.y);
      } else {
        ctx.rect(p.x - r * 0.85, p.y - r * 0.85, r * 1.7, r * 1.7);
      }
      ctx.closePath();
      renderer._fillStroke(ctx, this);
    },
  });

  // A line with a casing: the outline is stroked first, `casingPx` wider, then the line over it.
  // Drawn at `lineScale` of the zoom, as the tiles are.
  var CasedLine = L.Polyline.extend({
    _updatePath: function () {
      var o = this.options;
      var renderer = this._renderer;
      var weight = o.weight;
      var scale = this._map ? lineScale(this._map.getZoom()) : 1;
      if (o.casing && renderer._ctx) {
        var color = o.color;
        var dash = o._dashArray;
        o.color = o.casing;
        o.weight = scale * (weight + casingPx());
        o._dashArray = null;
        renderer._updatePoly(this);
        o.color = color;
        o._dashArray = dash;
      }
      o.weight = scale * weight;
      L.Polyline.prototype._updatePath.call(this);
      o.weight = weight;
    },
  });

  // Which class indexes occur in `codes` (the legend lists only the classes drawn).
  function used(codes) {
    var seen = {};
    codes.forEach(function (c) {
      seen[c] = true;
    });
    return seen;
  }

  function legendItem(section, symbol, text) {
    var item = el("div", "ca-legend-item");
    item.appendChild(symbol);
    item.appendChild(el("span", null, text));
    section.appendChild(item);
  }

  // Features of a layer in this selection: those drawn from the page, or all the tiles draw.
  function featureCount(layer) {
    return layer.total !== undefined ? layer.total : layer.count;
  }

  function updateLegend() {
    if (!api.legend) return;
    var box = api.legend.body;
    box.textContent = "";
    Object.keys(api.layers).forEach(function (key) {
      var layer = api.layers[key];
      if (!featureCount(layer) || !api.map.hasLayer(layer.group)) return;
      var section = el("div", "ca-legend-section");
      section.setAttribute("data-layer", key);
      section.appendChild(el("div", "ca-legend-title", layer.title));
      if (layer.geometry === "point") {
        var fills = used(layer.fill);
        layer.fills.forEach(function (f, index) {
          if (fills[index]) legendItem(section, dot(f.color, Math.min(f.radius, 5), f.shape), f.label);
        });
        var sizes = used(layer.size || []);
        (layer.sizes || []).forEach(function (size, index) {
          if (sizes[index]) legendItem(section, dot("#ffffff", size.radius), size.label);
        });
      } else {
        var classes = used(layer.present || layer.cls);
        layer.styles.forEach(function (style, index) {
          if (classes[index]) legendItem(section, swatch(style), style.label);
        });
      }
      if (layer.hidden) section.appendChild(el("div", "ca-legend-more", "+ " + layer.hidden + " more as you zoom in"));
      Object.keys(layer.caveats || {}).forEach(function (source) {
        section.appendChild(el("div", "ca-legend-caveat", layer.caveats[source]));
      });
      box.appendChild(section);
    });
    if (api.seed && api.map.hasLayer(api.seed)) {
      var seed = el("div", "ca-legend-section");
      seed.setAttribute("data-layer", "seed");
      var ring = dot("transparent", 7);
      ring.style.border = "2px solid #d62728";
      legendItem(seed, ring, api.config.seedLabel || "");
      box.appendChild(seed);
    }
    api.legend.getContainer().style.display = box.childNodes.length ? "" : "none";
  }

  // The legend: a button that opens and closes it, over its body. Closed at first on a small map.
  var Legend = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd: function () {
      var box = el("div", "ca-legend leaflet-control");
      var toggle = el("button", "ca-legend-toggle", "Legend");
      toggle.type = "button";
      this.body = el("div", "ca-legend-body");
      box.appendChild(toggle);
      box.appendChild(this.body);
      L.DomEvent.on(toggle, "click", function () {
        api.setLegendOpen(box.classList.contains("ca-collapsed"));
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });

  api.setLegendOpen = function (open) {
    var box = api.legend.getContainer();
    box.classList.toggle("ca-collapsed", !open);
    box.querySelector(".ca-legend-toggle").setAttribute("aria-expanded", String(open));
  };

  // Below SMALL_MAP_PX of width (a phone) the legend and the layer control start closed, as buttons; a tap
  // on the map closes them again. Called once the page has added its controls.
  var SMALL_MAP_PX = 700;
  api.layout = function () {
    var small = api.map.getSize().x < SMALL_MAP_PX;
    api.map.getContainer().classList.toggle("ca-small", small);
    api.setLegendOpen(!small);
    if (!small) return;
    var layers = api.map.getContainer().querySelector(".leaflet-control-layers");
    var close = function () {
      api.setLegendOpen(false);
      if (layers) layers.classList.remove("leaflet-control-layers-expanded");
    };
    close();
    api.map.on("click", close);
  };

  var Notice = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      return el("div", "ca-notice leaflet-control", this.options.text);
    },
  });

  // Every data layer is drawn on a canvas: a browser without one gets a notice on the map, not a broken map.
  var NO_CANVAS =
    "This browser cannot draw the map: it has no canvas support (or it is switched off). " +
    "Open the page in a current Firefox, Chrome, Safari or Edge, or download the data below the map.";
  function canvasSupported() {
    var probe = document.createElement("canvas");
    try {
      return !!(probe.getContext && probe.getContext("2d"));
    } catch (error) {
      return false;
    }
  }

  api.init = function (map, config) {
    api.map = map;
    api.config = config || {};
    api.canvas = canvasSupported();
    if (!api.canvas) {
      var notice = el("div", "ca-no-canvas", NO_CANVAS);
      notice.setAttribute("role", "alert");
      map.getContainer().appendChild(notice);
    }
    map.createPane("caBasemap").style.zIndex = 250;
    api.renderers.basemap = L.canvas({ pane: "caBasemap", padding: 0.3 });
    api.renderers.data = L.canvas({ padding: 0.3, tolerance: 5 });
    api.legend = new Legend().addTo(map);
    if (api.canvas) new PngButton().addTo(map);
    if (api.config.notice) new Notice({ text: api.config.notice }).addTo(map);
    map.createPane("caTiles").style.zIndex = 350;
    map.on("click", onMapClick);
    map.on("zoomend", onZoom);
    var pending = null;
    map.on("layeradd layerremove", function (e) {
      if (!e.layer.caGroup || pending) return;
      pending = setTimeout(function () {
        pending = null;
        restack();
        updateLegend();
      }, 0);
    });
  };

  function restack() {
    var keys = Object.keys(api.layers).sort(function (a, b) {
      return (api.layers[a].order || 0) - (api.layers[b].order || 0);
    });
    var groups = keys.map(function (key) {
      return api.layers[key].group;
    });
    groups.concat([api.seed, api.highlighted]).forEach(function (group) {
      if (group && api.map.hasLayer(group)) group.bringToFront();
    });
  }

  function highlight(key, i) {
    var feature = api.layers[key].features[i];
    var mark = feature.getLatLng
      ? L.circleMarker(feature.getLatLng(), { radius: 15, color: "#ffd400", weight: 4, fill: false, interactive: false })
      : L.polyline(feature.getLatLngs(), { color: "#ffd400", weight: 9, opacity: 0.6, interactive: false });
    mark.options.renderer = api.renderers.data;
    mark.addTo(api.map);
    api.highlighted = mark;
    setTimeout(function () {
      api.openPopup(key, i);
    }, 0);
  }

  function radius(data, i) {
    return data.sizes ? data.sizes[data.size[i]].radius : data.fills[data.fill[i]].radius;
  }

  // Per-feature small integers come as a string of digits when all fit in one (geo.render._digits).
  function numbers(values) {
    return typeof values === "string" ? Array.from(values, Number) : values;
  }

  api.addLayer = function (key, group, data) {
    if (!api.canvas) return;
    ["fill", "size", "minZoom"].forEach(function (name) {
      if (data[name] !== undefined) data[name] = numbers(data[name]);
    });
    var features = new Array(data.count);
    var i;
    if (data.geometry === "point") {
      for (i = 0; i < data.count; i++) {
        features[i] = new SymbolMarker([data.xy[2 * i + 1], data.xy[2 * i]], {
          renderer: api.renderers.data,
          radius: radius(data, i),
          shape: data.fills[data.fill[i]].shape,
          color: "#1b2a3a",
          weight: 0.8,
          fillColor: data.fills[data.fill[i]].color,
          fillOpacity: 0.9,
        });
      }
    } else {
      for (i = 0; i < data.count; i++) {
        var style = data.styles[data.cls[i]];
        var scale = Math.pow(10, data.qs ? data.qs[i] : data.q);
        features[i] = new CasedLine(decode(data.geom[i], scale), {
          renderer: api.renderers.data,
          color: style.color,
          casing: style.casing,
          weight: style.weight,
          dashArray: style.dash,
          opacity: 0.85,
        });
      }
      data.geom = null; // decoded into the polylines; free the copy
    }
    for (i = 0; i < data.count; i++) {
      features[i].caIndex = i;
      if (!data.minZoom) group.addLayer(features[i]);
    }
    data.features = features;
    data.group = group;
    if (data.minZoom) {
      data.drawnAt = null;
      showByZoom(data);
    }
    if (data.tiles) {
      data.tileLayer = tileLayer(key, data);
      group.addLayer(data.tileLayer);
    }
    credit(group, data.credits);
    group.caGroup = key;
    group.on("click", onClick(key));
    api.layers[key] = data;
    updateLegend();
    var h = api.config.highlight;
    if (h && h.layer === key) highlight(key, h.index);
  };

  // Points with a minimum zoom (geo.layers point_min_zoom) join their group from that zoom on; the
  // others stay out of it, so they are neither drawn nor clicked. Counts are of the whole selection.
  function showByZoom(data) {
    var zoom = api.map.getZoom();
    if (data.drawnAt === zoom) return;
    data.drawnAt = zoom;
    var hidden = 0;
    for (var i = 0; i < data.count; i++) {
      var shown = data.minZoom[i] <= zoom;
      if (!shown) hidden++;
      if (shown !== data.group.hasLayer(data.features[i])) {
        if (shown) data.group.addLayer(data.features[i]);
        else data.group.removeLayer(data.features[i]);
      }
    }
    data.hidden = hidden;
  }

  function onZoom() {
    Object.keys(api.layers).forEach(function (key) {
      if (api.layers[key].minZoom) showByZoom(api.layers[key]);
    });
    updateLegend();
  }

  api.addSeed = function (key, group, data) {
    if (!api.canvas) return;
    var layer = api.layers[key];
    if (!layer) return;
    data.index.forEach(function (i) {
      var ring = L.circleMarker(layer.features[i].getLatLng(), {
        renderer: api.renderers.data,
        radius: radius(layer, i) + 5,
        color: "#d62728",
        weight: 2.5,
        fill: true,
        fillOpacity: 0,
      });
      ring.caIndex = i;
      group.addLayer(ring);
    });
    group.caGroup = "seed";
    group.on("click", onClick(key));
    api.seed = group;
    updateLegend();
  };

  api.addOutlines = function (key, group, data) {
    if (!api.canvas) return;
    var scale = Math.pow(10, data.q);
    credit(group, data.credits);
    data.geom.forEach(function (polygons) {
      if (!polygons.length) return;
      group.addLayer(
        L.polygon(decode(polygons, scale), {
          renderer: api.renderers.basemap,
          color: "#9c9c9c",
          weight: 0.7,
          fillColor: "#f3f0e8",
          fillOpacity: 1,
          interactive: false,
        })
      );
    });
  };

  // --- "Download this view as PNG": the map is drawn on canvases (basemap, tiles, data), so the view is
  // composed from them in the browser, with the attribution written under it. Tile images from another
  // site (the OpenStreetMap and CARTO basemaps) would make the picture unreadable to the page, so they are
  // left out and the picture says so.
  var PNG_FOOTER_PX = 11;

  function paneLayers(container) {
    var panes = Array.prototype.slice.call(container.querySelectorAll(".leaflet-pane"));
    panes.sort(function (a, b) {
      return (Number(getComputedStyle(a).zIndex) || 0) - (Number(getComputedStyle(b).zIndex) || 0);
    });
    var out = [];
    panes.forEach(function (pane) {
      Array.prototype.forEach.call(pane.children, function collect(node) {
        if (node.tagName === "CANVAS" || node.tagName === "IMG") out.push(node);
        else if (!node.classList.contains("leaflet-pane")) Array.prototype.forEach.call(node.children, collect);
      });
    });
    return out;
  }

  function sameOrigin(img) {
    try {
      return new URL(img.src, location.href).origin === location.origin || img.src.indexOf("data:") === 0;
    } catch (error) {
      return false;
    }
  }

  function wrapText(ctx, text, width) {
    var lines = [];
    var line = "";
    text.split(/\s+/).forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > width) {
        lines.push(line);
        line = word;
      } else line = next;
    });
    if (line) lines.push(line);
    return lines;
  }

  // The legend as the map shows it (section titles and items, not the notes), drawn in a box at the top
  // right of the picture: each swatch is read from the legend's own elements.
  var PNG_ROW_PX = 15;
  var PNG_LEGEND_PX = 230;
  function drawLegend(ctx, width) {
    var rows = api.legend ? api.legend.body.querySelectorAll(".ca-legend-title, .ca-legend-item") : [];
    if (!rows.length) return;
    var x = width - PNG_LEGEND_PX - 8;
    ctx.fillStyle = "rgba(255, 255, 255, 0.92)";
    ctx.fillRect(x, 8, PNG_LEGEND_PX, rows.length * PNG_ROW_PX + 8);
    Array.prototype.forEach.call(rows, function (node, i) {
      var mid = 12 + i * PNG_ROW_PX + PNG_ROW_PX / 2;
      ctx.fillStyle = "#1b2a3a";
      if (node.classList.contains("ca-legend-title")) {
        ctx.font = "bold 11px sans-serif";
        ctx.fillText(node.textContent, x + 6, mid + 4);
        return;
      }
      var swatch = node.firstChild;
      var style = getComputedStyle(swatch);
      if (swatch.classList.contains("ca-swatch-line")) {
        var width = parseFloat(style.borderTopWidth) || 2;
        var casing = /rgba?\([^)]*\)/.exec(style.boxShadow || "");
        ctx.beginPath();
        ctx.moveTo(x + 6, mid);
        ctx.lineTo(x + 28, mid);
        if (casing) {
          ctx.strokeStyle = casing[0];
          ctx.lineWidth = width + casingPx();
          ctx.stroke();
        }
        ctx.setLineDash(style.borderTopStyle === "dashed" ? [4, 3] : []);
        ctx.strokeStyle = style.borderTopColor;
        ctx.lineWidth = width;
        ctx.stroke();
        ctx.setLineDash([]);
      } else {
        var r = Math.min(parseFloat(style.width) / 2 || 4, 6);
        ctx.beginPath();
        if (swatch.classList.contains("ca-shape-diamond")) {
          ctx.moveTo(x + 17, mid - r);
          ctx.lineTo(x + 17 + r, mid);
          ctx.lineTo(x + 17, mid + r);
          ctx.lineTo(x + 17 - r, mid);
          ctx.closePath();
        } else if (swatch.classList.contains("ca-shape-square")) ctx.rect(x + 17 - r * 0.85, mid - r * 0.85, r * 1.7, r * 1.7);
        else ctx.arc(x + 17, mid, r, 0, 2 * Math.PI);
        ctx.fillStyle = style.backgroundColor;
        ctx.fill();
        ctx.strokeStyle = "#1b2a3a";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
      ctx.fillStyle = "#1b2a3a";
      ctx.font = "11px sans-serif";
      ctx.fillText(node.lastChild.textContent, x + 34, mid + 4);
    });
  }

  // The map as it is shown, on a new canvas (device pixels), with its legend, and its credits in a band below.
  api.toCanvas = function () {
    var map = api.map;
    var container = map.getContainer();
    var size = map.getSize();
    var origin = container.getBoundingClientRect();
    var ratio = window.devicePixelRatio || 1;
    var drawn = paneLayers(container).filter(function (node) {
      return node.tagName !== "IMG" || (node.complete && sameOrigin(node));
    });
    var skipped = paneLayers(container).length - drawn.length;
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = PNG_FOOTER_PX + "px sans-serif";
    var credits = (container.querySelector(".leaflet-control-attribution") || { textContent: "" }).textContent;
    var lines = wrapText(measure, credits.replace(/\s+/g, " ").trim(), size.x - 12);
    if (skipped) lines.unshift("Basemap tiles from another site are not in this picture.");
    var footer = lines.length * (PNG_FOOTER_PX + 3) + 8;
    var out = document.createElement("canvas");
    out.width = Math.round(size.x * ratio);
    out.height = Math.round((size.y + footer) * ratio);
    var ctx = out.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.fillStyle = getComputedStyle(container).backgroundColor || "#d7e6f0";
    ctx.fillRect(0, 0, size.x, size.y);
    drawn.forEach(function (node) {
      var box = node.getBoundingClientRect();
      if (!box.width || !box.height) return;
      ctx.globalAlpha = Number(getComputedStyle(node).opacity) || 1;
      ctx.drawImage(node, box.left - origin.left, box.top - origin.top, box.width, box.height);
    });
    ctx.globalAlpha = 1;
    drawLegend(ctx, size.x);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, size.y, size.x, footer);
    ctx.fillStyle = "#333333";
    ctx.font = PNG_FOOTER_PX + "px sans-serif";
    lines.forEach(function (line, i) {
      ctx.fillText(line, 6, size.y + 4 + (i + 1) * (PNG_FOOTER_PX + 3) - 3);
    });
    return out;
  };

  api.downloadPng = function () {
    api.toCanvas().toBlob(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "corridor-atlas-" + new Date().toISOString().slice(0, 10) + ".png";
      document.body.appendChild(link);
      link.click();
      setTimeout(function () {
        URL.revokeObjectURL(link.href);
        link.remove();
      }, 1000);
    }, "image/png");
  };

  var PngButton = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      var box = el("div", "leaflet-bar leaflet-control ca-png");
      var button = el("a", "ca-png-button", "PNG");
      button.href = "#";
      button.setAttribute("role", "button");
      button.title = "Download this view as PNG";
      L.DomEvent.on(button, "click", function (e) {
        L.DomEvent.preventDefault(e);
        api.downloadPng();
      });
      L.DomEvent.disableClickPropagation(box);
      box.appendChild(button);
      return box;
    },
  });

  // Opens the map on `bounds` ([[S, W], [N, E]]). A frame of land (`options.land`: the selected countries,
  // or Europe) may lose up to LAND_CUT of its width and height at the edges for one zoom closer: whole zooms
  // double the scale, so the exact fit often leaves Europe in a quarter of the map, framed by sea.
  var LAND_CUT = 0.1;
  api.fitBounds = function (bounds, options) {
    var map = api.map;
    var box = L.latLngBounds(bounds);
    var zoom = map.getBoundsZoom(box);
    if (options && options.land) {
      var size = map.getSize();
      var span = map.project(box.getSouthEast(), zoom + 1).subtract(map.project(box.getNorthWest(), zoom + 1));
      if (size.x >= (1 - LAND_CUT) * span.x && size.y >= (1 - LAND_CUT) * span.y) zoom += 1;
    }
    if (options && options.maxZoom) zoom = Math.min(zoom, options.maxZoom);
    var centre = map.project(box.getNorthWest(), zoom).add(map.project(box.getSouthEast(), zoom)).divideBy(2);
    map.setView(map.unproject(centre, zoom), zoom);
  };

  // How many features of each layer are drawn at this zoom (points with a minimum zoom may wait).
  api.drawn = function () {
    var out = {};
    Object.keys(api.layers).forEach(function (key) {
      var layer = api.layers[key];
      out[key] = !api.map.hasLayer(layer.group) ? 0 : layer.minZoom ? layer.count - layer.hidden : featureCount(layer);
    });
    return out;
  };

  api.counts = function () {
    var out = {};
    Object.keys(api.layers).forEach(function (key) {
      var layer = api.layers[key];
      out[key] = api.map.hasLayer(layer.group) ? featureCount(layer) : 0;
    });
    out.seed = api.seed && api.map.hasLayer(api.seed) ? api.seed.getLayers().length : 0;
    return out;
  };

  return api;
})());
