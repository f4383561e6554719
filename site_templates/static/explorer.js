/* Explorers: the article's trained decoders, run in the reader's browser.
 *
 * The page holds, beside three of its figures, an element
 *     <div class="explorer" data-explorer="KIND" data-bundle="figures/....js" hidden>
 * that stays hidden without JavaScript (the static figures tell the whole story). This
 * script reveals each one, loads its bundle when the reader comes near it, and builds:
 *   plane          beside Figure 2: the latent plane of the z = 2 model, with the prior's
 *                  density and the encoded test digits; pointer, touch or arrow keys move
 *                  a marker and the digit decoded there is redrawn;
 *   spiral         beside Figure 7: a slider along the spiral on the sphere of radius
 *                  sqrt(p) of the z = 10 model, the p components as bars, the digit;
 *   interpolation  beside Figures 11 and 12: a slider for t between two points of the
 *                  z = 500 model, lerp's and slerp's digits side by side and both norms
 *                  against sqrt(p); new endpoints come from a seeded generator.
 *
 * A bundle is a classic script written by `python -m latentspace explorer`
 * (src/latentspace/decoder_export.py, which documents the format): it calls
 *     latentspaceExplorerBundle({manifest: {...}, data: "<base64>"})
 * with the decoder's layers (y = W x + b, W stored (out, in), then relu or sigmoid) and
 * any extra arrays. A <script> element loads from file:// as well as over HTTP, which
 * fetch() of a binary file does not, so the site also works opened from its folder.
 * Nothing is requested from anywhere else; no framework, no build step.
 *
 * Sections: 1. bundles  2. the decoder  3. geometry and the seeded generator
 *           4. drawing  5. the three widgets  6. start-up.
 * For tests and the curious, window.latentspaceExplorer exposes the pieces.
 */
(function () {
  "use strict";

  const IMAGE_SIDE = 28;
  const BUNDLE_FUNCTION = "latentspaceExplorerBundle"; // decoder_export.BUNDLE_FUNCTION
  const BUNDLE_FORMAT = "latentspace-explorer-bundle";
  const BUNDLE_FORMAT_VERSION = 1;
  // Start loading a widget's decoder when it comes this close to the viewport.
  const LOAD_MARGIN = "800px 0px";
  const INK = "#333333"; // text and axes drawn on the light plotting cards
  const FAINT = "#bbbbbb";

  // ---------------------------------------------------------------------------
  // 1. Bundles: the script's payload -> bytes -> typed arrays
  // ---------------------------------------------------------------------------

  /** A bundle file that is missing or malformed: shown to the reader in one short line. */
  class BundleError extends Error {}

  function bytesFromBase64(text) {
    let binary;
    try {
      binary = atob(text);
    } catch (error) {
      throw new BundleError("its data is not base64");
    }
    const bytes = new Uint8Array(binary.length);
    for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    return bytes;
  }

  /** The value of an IEEE 754 half-precision number given by its 16 bits. */
  function halfToFloat(bits) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }

  const BYTES_PER_ELEMENT = { float16: 2, float32: 4, uint8: 1 };

  /** Check the payload a bundle script delivered: {manifest, bytes}. */
  function parseBundle(payload) {
    if (!payload || typeof payload !== "object" || typeof payload.manifest !== "object" || typeof payload.data !== "string") {
      throw new BundleError("it is not a decoder bundle");
    }
    const manifest = payload.manifest;
    if (manifest.format !== BUNDLE_FORMAT || manifest.format_version !== BUNDLE_FORMAT_VERSION) {
      throw new BundleError(`it is not in format ${BUNDLE_FORMAT} version ${BUNDLE_FORMAT_VERSION}`);
    }
    return { manifest, bytes: bytesFromBase64(payload.data) };
  }

  /** Array `name` of a bundle: {values (Float32Array, or Uint8Array for uint8), shape}. */
  function readArray(bundle, name) {
    const spec = bundle.manifest.arrays && bundle.manifest.arrays[name];
    if (!spec) throw new BundleError(`array ${name} is missing`);
    const size = BYTES_PER_ELEMENT[spec.dtype];
    const count = Array.isArray(spec.shape) ? spec.shape.reduce((product, length) => product * length, 1) : NaN;
    if (!size || !(count >= 0) || !(spec.offset >= 0) || spec.offset + count * size > bundle.bytes.length) {
      throw new BundleError(`array ${name} does not fit its data`);
    }
    const start = bundle.bytes.byteOffset + spec.offset;
    if (spec.dtype === "uint8") return { values: bundle.bytes.slice(spec.offset, spec.offset + count), shape: spec.shape };
    const view = new DataView(bundle.bytes.buffer, start, count * size); // little-endian, as written
    const values = new Float32Array(count);
    if (spec.dtype === "float16") {
      for (let k = 0; k < count; k++) values[k] = halfToFloat(view.getUint16(2 * k, true));
    } else {
      for (let k = 0; k < count; k++) values[k] = view.getFloat32(4 * k, true);
    }
    return { values, shape: spec.shape };
  }

  // Each bundle script calls latentspaceExplorerBundle(payload) while it runs; the payload
  // is kept under the <script> element that loaded it (document.currentScript).
  const deliveredPayloads = new Map();
  window[BUNDLE_FUNCTION] = function (payload) {
    if (deliveredPayloads.has(document.currentScript)) deliveredPayloads.set(document.currentScript, payload);
  };

  /** Load the bundle script at `url`; resolves to {manifest, bytes}, rejects with a BundleError. */
  function loadBundle(url) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      deliveredPayloads.set(script, null);
      const finish = (loadError) => {
        const payload = deliveredPayloads.get(script);
        deliveredPayloads.delete(script);
        script.remove();
        if (loadError) return reject(loadError);
        try {
          resolve(parseBundle(payload)); // a file that is not a bundle delivered nothing: null
        } catch (error) {
          reject(error);
        }
      };
      script.addEventListener("load", () => finish(null));
      script.addEventListener("error", () => finish(new BundleError("the file could not be loaded")));
      script.src = url;
      document.head.append(script);
    });
  }

  // ---------------------------------------------------------------------------
  // 2. The decoder: affine layers with relu between them and a sigmoid at the end
  // ---------------------------------------------------------------------------

  const ACTIVATIONS = {
    relu: (value) => (value > 0 ? value : 0),
    sigmoid: (value) => 1 / (1 + Math.exp(-value)),
  };

  class Decoder {
    constructor(bundle) {
      const manifest = bundle.manifest;
      this.latentDim = manifest.latent_dim;
      this.latent = new Float32Array(this.latentDim); // the input, rounded to float32 as torch sees it
      this.layers = [];
      let width = this.latentDim;
      for (const entry of manifest.layers || []) {
        const weight = readArray(bundle, entry.weight); // (out, in)
        const bias = readArray(bundle, entry.bias); // (out,)
        const [outputs, inputs] = weight.shape;
        if (weight.shape.length !== 2 || inputs !== width || bias.values.length !== outputs || !ACTIVATIONS[entry.activation]) {
          throw new BundleError(`decoder layer ${this.layers.length} does not fit the one before it`);
        }
        // Kept column by column, (in, out): a product is then a sum of columns scaled by the
        // inputs, read in order, and an input that relu set to zero skips its whole column.
        const columns = new Float32Array(inputs * outputs);
        for (let o = 0; o < outputs; o++) {
          for (let i = 0; i < inputs; i++) columns[i * outputs + o] = weight.values[o * inputs + i];
        }
        this.layers.push({
          inputs,
          outputs,
          columns,
          bias: bias.values,
          activate: ACTIVATIONS[entry.activation],
          sums: new Float64Array(outputs), // pre-activations, accumulated in double precision
          values: new Float32Array(outputs), // activations, float32 as in torch
        });
        width = outputs;
      }
      const last = manifest.layers && manifest.layers[manifest.layers.length - 1];
      if (width !== IMAGE_SIDE * IMAGE_SIDE || !last || last.activation !== "sigmoid") {
        throw new BundleError(`the decoder does not end in ${IMAGE_SIDE * IMAGE_SIDE} sigmoid outputs`);
      }
    }

    /** Pixel intensities in [0, 1], 784 of them row by row, of one latent vector (latentDim numbers).
        The returned array is overwritten by the next call. */
    decode(latent) {
      if (latent.length !== this.latentDim) throw new RangeError(`expected ${this.latentDim} latent values, got ${latent.length}`);
      this.latent.set(latent);
      let input = this.latent;
      for (const layer of this.layers) {
        const { inputs, outputs, columns, sums, values, activate } = layer;
        sums.set(layer.bias);
        for (let i = 0; i < inputs; i++) {
          const x = input[i];
          if (x === 0) continue;
          const offset = i * outputs;
          for (let o = 0; o < outputs; o++) sums[o] += columns[offset + o] * x;
        }
        for (let o = 0; o < outputs; o++) values[o] = activate(sums[o]);
        input = values;
      }
      return input;
    }
  }

  // ---------------------------------------------------------------------------
  // 3. Geometry (as src/latentspace/geometry.py) and the seeded generator
  // ---------------------------------------------------------------------------

  function dot(a, b) {
    let sum = 0;
    for (let k = 0; k < a.length; k++) sum += a[k] * b[k];
    return sum;
  }

  function norm(vector) {
    return Math.sqrt(dot(vector, vector));
  }

  function scaled(vector, factor) {
    return Float64Array.from(vector, (value) => value * factor);
  }

  // Below this sin(angle between the endpoints), slerp treats them as parallel or
  // antiparallel: geometry.DEGENERATE_SIN, with the same rule as geometry.slerp.
  const DEGENERATE_SIN = 1e-10;

  /** lerp(i, j, t) = (1 - t) i + t j: the chord (geometry.lerp). */
  function lerp(start, end, t) {
    return Float64Array.from(start, (value, k) => (1 - t) * value + t * end[k]);
  }

  function divided(vector, divisor) {
    return Float64Array.from(vector, (value) => value / divisor);
  }

  /** A fixed unit vector orthogonal to the unit vector `unit`: Gram-Schmidt on the basis
      vector along which `unit` is smallest (the first such), as geometry does it. */
  function perpendicularUnit(unit) {
    let axis = 0;
    for (let k = 1; k < unit.length; k++) if (Math.abs(unit[k]) < Math.abs(unit[axis])) axis = k;
    const perpendicular = scaled(unit, -unit[axis]);
    perpendicular[axis] += 1;
    return divided(perpendicular, norm(perpendicular));
  }

  /** Spherical linear interpolation (Shoemake 1985), step for step as geometry.slerp: the
      direction cos(t om) u + sin(t om) w follows the great circle from start to end, the
      norm goes linearly from |start| to |end|. Parallel ends take the normalised chord,
      antiparallel ones the half circle through perpendicularUnit(u). */
  function slerp(start, end, t) {
    if (t === 0) return Float64Array.from(start);
    if (t === 1) return Float64Array.from(end);
    const startNorm = norm(start);
    const endNorm = norm(end);
    const startUnit = divided(start, startNorm);
    const endUnit = divided(end, endNorm);
    const cosAngle = dot(startUnit, endUnit);
    const orthogonal = Float64Array.from(endUnit, (value, k) => value - cosAngle * startUnit[k]);
    const sinAngle = norm(orthogonal);
    const degenerate = sinAngle < DEGENERATE_SIN;
    let direction;
    if (degenerate && cosAngle > 0) {
      direction = lerp(startUnit, endUnit, t); // parallel: the chord has the arc's direction
    } else {
      const inPlane = degenerate ? perpendicularUnit(startUnit) : divided(orthogonal, sinAngle);
      const turned = t * (degenerate ? Math.PI : Math.atan2(sinAngle, cosAngle));
      direction = Float64Array.from(startUnit, (value, k) => Math.cos(turned) * value + Math.sin(turned) * inPlane[k]);
    }
    return scaled(divided(direction, norm(direction)), startNorm + t * (endNorm - startNorm));
  }

  /** The point at progress t in [0, 1] of the spiral on the sphere of `radius` in R^n
      (geometry.sphere_spiral): th_1 .. th_{n-2} = pi t, th_{n-1} = 2 pi turns t, and
      x_1 = r cos th_1, x_k = r sin th_1 ... sin th_{k-1} cos th_k, x_n = r sin th_1 ... sin th_{n-1}. */
  function sphereSpiralPoint(n, radius, turns, t) {
    const point = new Float64Array(n);
    let sines = radius;
    for (let k = 0; k < n - 1; k++) {
      const angle = k < n - 2 ? Math.PI * t : 2 * Math.PI * turns * t;
      point[k] = sines * Math.cos(angle);
      sines *= Math.sin(angle);
    }
    point[n - 1] = sines;
    return point;
  }

  /** Mulberry32 (Tommy Ettinger, public domain): 32-bit state, uniform numbers in [0, 1). */
  function mulberry32(seed) {
    let state = seed >>> 0;
    return function () {
      state = (state + 0x6d2b79f5) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 15), z | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** `count` standard normal numbers from `seed`: Box-Muller on pairs of Mulberry32 uniforms. */
  function standardNormals(count, seed) {
    const uniform = mulberry32(seed);
    const values = new Float64Array(count);
    for (let k = 0; k < count; k += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - uniform())); // 1 - u lies in (0, 1]
      const angle = 2 * Math.PI * uniform();
      values[k] = radius * Math.cos(angle);
      if (k + 1 < count) values[k + 1] = radius * Math.sin(angle);
    }
    return values;
  }

  /** Two prior draws in R^n from `seed`, each rescaled to the radius sqrt(n), as F11's endpoints are. */
  function priorEndpoints(n, seed) {
    const draws = standardNormals(2 * n, seed);
    return [draws.subarray(0, n), draws.subarray(n)].map((draw) => scaled(draw, Math.sqrt(n) / norm(draw)));
  }

  // ---------------------------------------------------------------------------
  // 4. Drawing
  // ---------------------------------------------------------------------------

  /** A new element: element("p", {class: "x", text: "..."}, [children]). */
  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  /** A canvas of the given CSS size, sharp on high-density screens; draw in CSS pixels. */
  function plotCanvas(width, height, label) {
    const scale = window.devicePixelRatio || 1;
    const canvas = element("canvas", { class: "explorer-plot", width: Math.round(width * scale), height: Math.round(height * scale), "aria-label": label });
    canvas.style.width = `${width}px`;
    canvas.style.aspectRatio = `${width} / ${height}`;
    const context = canvas.getContext("2d");
    context.scale(scale, scale);
    return { canvas, context, width, height };
  }

  /** A 28 x 28 canvas, enlarged by CSS without smoothing, that shows decoded digits. */
  function digitCanvas(label) {
    return element("canvas", { class: "explorer-digit", width: IMAGE_SIDE, height: IMAGE_SIDE, role: "img", "aria-label": label });
  }

  /** Draw intensities in [0, 1] as grey levels, white strokes on black as in MNIST (decoding.to_uint8). */
  function drawDigit(canvas, pixels) {
    const context = canvas.getContext("2d");
    const image = context.createImageData(IMAGE_SIDE, IMAGE_SIDE);
    for (let k = 0; k < pixels.length; k++) {
      const grey = Math.round(255 * Math.min(1, Math.max(0, pixels[k])));
      image.data[4 * k] = image.data[4 * k + 1] = image.data[4 * k + 2] = grey;
      image.data[4 * k + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  function slider(label, min, max, step, value) {
    return element("input", { type: "range", min, max, step, value, "aria-label": label });
  }

  function swatch(color) {
    const mark = element("span", { class: "explorer-swatch", "aria-hidden": "true" });
    mark.style.background = color;
    return mark;
  }

  // ---------------------------------------------------------------------------
  // 5. The widgets: each builds its controls into the container and returns its state
  // ---------------------------------------------------------------------------

  /** Latent (x, y) in [-extent, extent]^2 -> CSS pixels of a square plot `size` wide, +y up. */
  function planeToPixels(extent, size) {
    return (x, y) => [((x + extent) / (2 * extent)) * size, ((extent - y) / (2 * extent)) * size];
  }

  /** The still part of the plane, drawn once on a canvas of the plot's pixel size: the prior's
      density N(0, I) as shading, the axes, F2's square (if figureExtent), the encoded digits. */
  function planeBackground(canvas, size, extent, figureExtent, means, labels, labelColors) {
    const toPixels = planeToPixels(extent, size);
    const background = document.createElement("canvas");
    background.width = canvas.width;
    background.height = canvas.height;
    const backContext = background.getContext("2d");
    const density = backContext.createImageData(background.width, background.height);
    for (let row = 0; row < background.height; row++) {
      for (let col = 0; col < background.width; col++) {
        const x = ((col + 0.5) / background.width) * 2 * extent - extent;
        const y = extent - ((row + 0.5) / background.height) * 2 * extent;
        const shade = Math.round(255 - 75 * Math.exp(-(x * x + y * y) / 2)); // light grey at the mode
        const at = 4 * (row * background.width + col);
        density.data[at] = density.data[at + 1] = density.data[at + 2] = shade;
        density.data[at + 3] = 255;
      }
    }
    backContext.putImageData(density, 0, 0);
    backContext.scale(canvas.width / size, canvas.height / size);
    backContext.strokeStyle = FAINT;
    backContext.lineWidth = 1;
    backContext.beginPath();
    backContext.moveTo(...toPixels(-extent, 0));
    backContext.lineTo(...toPixels(extent, 0));
    backContext.moveTo(...toPixels(0, -extent));
    backContext.lineTo(...toPixels(0, extent));
    backContext.stroke();
    if (figureExtent > 0 && figureExtent < extent) {
      const [left, top] = toPixels(-figureExtent, figureExtent);
      const side = (figureExtent / extent) * size;
      backContext.setLineDash([4, 3]);
      backContext.strokeStyle = INK;
      backContext.strokeRect(left, top, side, side);
      backContext.setLineDash([]);
      backContext.fillStyle = INK;
      backContext.font = "11px system-ui, sans-serif";
      backContext.fillText("Figure 2", left + 3, top - 4);
    }
    backContext.globalAlpha = 0.8;
    for (let k = 0; k < labels.values.length; k++) {
      const [x, y] = toPixels(means.values[2 * k], means.values[2 * k + 1]);
      backContext.fillStyle = labelColors[labels.values[k] % labelColors.length];
      backContext.beginPath();
      backContext.arc(x, y, 1.8, 0, 2 * Math.PI);
      backContext.fill();
    }
    backContext.globalAlpha = 1;
    backContext.fillStyle = INK;
    backContext.font = "11px system-ui, sans-serif";
    backContext.fillText(`z₁ from −${extent} to ${extent} →`, 6, size - 6);
    backContext.save();
    backContext.translate(size - 6, size - 6);
    backContext.rotate(-Math.PI / 2);
    backContext.fillText(`z₂ from −${extent} to ${extent} →`, 0, 0);
    backContext.restore();
    return background;
  }

  /** Beside F2: the latent plane of the z = 2 model; the digit decoded under a movable marker. */
  function planeExplorer(container, bundle, decoder) {
    const { extent, label_colors: labelColors, marker_color: markerColor } = bundle.manifest.widget;
    const means = readArray(bundle, "encoded_means"); // (N, 2)
    const labels = readArray(bundle, "encoded_labels"); // (N,)
    if (decoder.latentDim !== 2 || means.shape[1] !== 2 || labels.values.length !== means.shape[0]) {
      throw new BundleError("the plane needs a 2-D decoder and encoded digits (N, 2)");
    }
    const figureExtent = Number(container.dataset.figureExtent) || 0; // F2's square, if the page says
    const plot = plotCanvas(300, 300, "The latent plane: drag the marker, or focus here and use the arrow keys");
    const { canvas, context, width: size } = plot;
    canvas.tabIndex = 0;
    canvas.classList.add("explorer-plane");
    const digit = digitCanvas("The digit decoded at the marker");
    const readout = element("output", { class: "explorer-readout", "aria-live": "polite" });
    const toPixels = planeToPixels(extent, size);
    const background = planeBackground(canvas, size, extent, figureExtent, means, labels, labelColors);

    const latent = [0, 0];
    function show() {
      context.drawImage(background, 0, 0, size, size);
      const [x, y] = toPixels(latent[0], latent[1]);
      context.lineWidth = 2.5;
      context.strokeStyle = "#ffffff";
      context.beginPath();
      context.arc(x, y, 7, 0, 2 * Math.PI);
      context.stroke();
      context.lineWidth = 1.5;
      context.strokeStyle = markerColor;
      context.stroke();
      drawDigit(digit, decoder.decode(latent));
      readout.textContent = `z = (${latent[0].toFixed(2)}, ${latent[1].toFixed(2)})`;
    }
    function moveTo(x, y) {
      latent[0] = Math.min(extent, Math.max(-extent, x));
      latent[1] = Math.min(extent, Math.max(-extent, y));
      show();
    }
    function moveToPointer(event) {
      const box = canvas.getBoundingClientRect();
      moveTo(((event.clientX - box.left) / box.width) * 2 * extent - extent, extent - ((event.clientY - box.top) / box.height) * 2 * extent);
    }
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      moveToPointer(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (canvas.hasPointerCapture(event.pointerId)) moveToPointer(event);
    });
    const KEY_DIRECTIONS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    canvas.addEventListener("keydown", (event) => {
      const step = (extent / 30) * (event.shiftKey ? 5 : 1);
      if (event.key in KEY_DIRECTIONS) {
        const [dx, dy] = KEY_DIRECTIONS[event.key];
        moveTo(latent[0] + dx * step, latent[1] + dy * step);
      } else if (event.key === "Home") {
        moveTo(0, 0);
      } else {
        return;
      }
      event.preventDefault();
    });

    const legend = element(
      "p",
      { class: "explorer-legend" },
      ["Test digits: ", ...labelColors.map((color, label) => element("span", {}, [swatch(color), String(label)]))]
    );
    container.prepend(
      element("div", { class: "explorer-stage" }, [canvas, element("div", { class: "explorer-digits" }, [digit, readout])]),
      legend
    );
    show();
    return { decoder, latent, moveTo, canvas, digit };
  }

  /** Beside F7: a slider along the spiral on the sphere of radius sqrt(p); the components as bars. */
  function spiralExplorer(container, bundle, decoder) {
    const { radius, turns, bar_color: barColor } = bundle.manifest.widget;
    const n = decoder.latentDim;
    const plot = plotCanvas(320, 170, `The ${n} components of the current code`);
    const { context, width, height } = plot;
    const digit = digitCanvas("The digit decoded at the current point of the spiral");
    const progress = slider("Progress along the spiral", 0, 1, 0.001, 0.25); // a quarter in: all components move
    const readout = element("output", { class: "explorer-readout", "aria-live": "polite" });
    const margin = { left: 34, right: 6, top: 8, bottom: 20 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const yOf = (value) => margin.top + ((radius - value) / (2 * radius)) * plotHeight;

    let latent;
    function show() {
      const t = Number(progress.value);
      latent = sphereSpiralPoint(n, radius, turns, t);
      context.clearRect(0, 0, width, height);
      context.font = "10px system-ui, sans-serif";
      context.fillStyle = INK;
      context.textAlign = "right";
      for (const value of [radius, 0, -radius]) context.fillText(value === 0 ? "0" : (value > 0 ? "" : "−") + `√${n}`, margin.left - 4, yOf(value) + 3);
      context.strokeStyle = FAINT;
      context.beginPath();
      context.moveTo(margin.left, yOf(0));
      context.lineTo(width - margin.right, yOf(0));
      context.stroke();
      const slot = plotWidth / n;
      context.textAlign = "center";
      for (let k = 0; k < n; k++) {
        const x = margin.left + k * slot + slot * 0.15;
        context.fillStyle = barColor;
        context.fillRect(x, Math.min(yOf(latent[k]), yOf(0)), slot * 0.7, Math.abs(yOf(latent[k]) - yOf(0)));
        if (n <= 20) {
          context.fillStyle = INK;
          context.fillText(String(k + 1), x + slot * 0.35, height - 6);
        }
      }
      drawDigit(digit, decoder.decode(latent));
      readout.textContent = `progress ${(100 * t).toFixed(1)}%, |z| = ${norm(latent).toFixed(2)}`;
    }
    progress.addEventListener("input", show);
    container.prepend(
      element("div", { class: "explorer-stage" }, [plot.canvas, element("div", { class: "explorer-digits" }, [digit, readout])]),
      element("label", { class: "explorer-control" }, ["progress ", progress])
    );
    show();
    return { decoder, progress, digit, get latent() { return latent; } };
  }

  /** Beside F11/F12: lerp and slerp between two points of the z = 500 model, at a chosen t. */
  function interpolationExplorer(container, bundle, decoder) {
    const { radius, endpoints_seed: figureSeed, lerp_color: lerpColor, slerp_color: slerpColor } = bundle.manifest.widget;
    const n = decoder.latentDim;
    const stored = readArray(bundle, "endpoints"); // (2, n): F11's endpoints
    if (stored.shape[0] !== 2 || stored.shape[1] !== n) throw new BundleError(`the endpoints are not (2, ${n})`);
    const figureEndpoints = [Float64Array.from(stored.values.subarray(0, n)), Float64Array.from(stored.values.subarray(n))];

    const t = slider("t, from the first endpoint (0) to the second (1)", 0, 1, 0.01, 0.5);
    const tReadout = element("output", { class: "explorer-readout" });
    const lerpDigit = digitCanvas("The digit decoded by lerp at t");
    const slerpDigit = digitCanvas("The digit decoded by slerp at t");
    const lerpReadout = element("output", { class: "explorer-readout" });
    const slerpReadout = element("output", { class: "explorer-readout" });
    const plot = plotCanvas(300, 170, "The norms of the lerp and slerp codes against t");
    const { context, width, height } = plot;
    const seedInput = element("input", { type: "number", min: 0, step: 1, value: "", placeholder: "F11", "aria-label": "Seed of the endpoints" });
    const newEndpoints = element("button", { type: "button", text: "New endpoints" });
    const origin = element("span", { class: "explorer-origin", "aria-live": "polite" });

    const margin = { left: 34, right: 8, top: 10, bottom: 22 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const top = 1.15 * radius;
    const xOf = (fraction) => margin.left + fraction * plotWidth;
    const yOf = (value) => margin.top + (1 - value / top) * plotHeight;
    const CURVE_STEPS = 100;

    let endpoints = figureEndpoints;
    let normCurves = null; // {lerp, slerp}: norms at CURVE_STEPS + 1 values of t
    function setEndpoints(seed) {
      endpoints = seed === null ? figureEndpoints : priorEndpoints(n, seed);
      origin.textContent = seed === null ? `Figure 11's endpoints (pipeline seed ${figureSeed})` : `endpoints drawn in the page from seed ${seed}`;
      const fractions = Array.from({ length: CURVE_STEPS + 1 }, (_, k) => k / CURVE_STEPS);
      normCurves = {
        lerp: fractions.map((f) => norm(lerp(endpoints[0], endpoints[1], f))),
        slerp: fractions.map((f) => norm(slerp(endpoints[0], endpoints[1], f))),
      };
      show();
    }

    function drawCurve(values, color) {
      context.strokeStyle = color;
      context.lineWidth = 2;
      context.beginPath();
      values.forEach((value, k) => (k ? context.lineTo : context.moveTo).call(context, xOf(k / CURVE_STEPS), yOf(value)));
      context.stroke();
    }

    function show() {
      const fraction = Number(t.value);
      const lerpCode = lerp(endpoints[0], endpoints[1], fraction);
      const slerpCode = slerp(endpoints[0], endpoints[1], fraction);
      drawDigit(lerpDigit, decoder.decode(lerpCode));
      drawDigit(slerpDigit, decoder.decode(slerpCode));
      tReadout.textContent = `t = ${fraction.toFixed(2)}`;
      lerpReadout.textContent = `|z| = ${norm(lerpCode).toFixed(2)}`;
      slerpReadout.textContent = `|z| = ${norm(slerpCode).toFixed(2)}`;

      context.clearRect(0, 0, width, height);
      context.font = "10px system-ui, sans-serif";
      context.fillStyle = INK;
      context.textAlign = "right";
      for (const value of [0, radius / 2, radius]) context.fillText(value.toFixed(1), margin.left - 4, yOf(value) + 3);
      context.textAlign = "center";
      for (const value of [0, 0.5, 1]) context.fillText(String(value), xOf(value), height - 8);
      context.strokeStyle = INK;
      context.lineWidth = 1;
      context.setLineDash([4, 3]);
      context.beginPath();
      context.moveTo(xOf(0), yOf(radius));
      context.lineTo(xOf(1), yOf(radius));
      context.stroke();
      context.setLineDash([]);
      context.textAlign = "left";
      context.fillText(`√${n} ≈ ${radius.toFixed(2)}`, xOf(0) + 4, yOf(radius) - 4);
      drawCurve(normCurves.lerp, lerpColor);
      drawCurve(normCurves.slerp, slerpColor);
      context.strokeStyle = FAINT;
      context.beginPath();
      context.moveTo(xOf(fraction), yOf(0));
      context.lineTo(xOf(fraction), yOf(top));
      context.stroke();
      for (const [code, color] of [[lerpCode, lerpColor], [slerpCode, slerpColor]]) {
        context.fillStyle = color;
        context.beginPath();
        context.arc(xOf(fraction), yOf(norm(code)), 3.5, 0, 2 * Math.PI);
        context.fill();
      }
    }

    t.addEventListener("input", show);
    newEndpoints.addEventListener("click", () => {
      seedInput.value = seedInput.value === "" ? "1" : String(Number(seedInput.value) + 1);
      setEndpoints(Number(seedInput.value));
    });
    seedInput.addEventListener("change", () => {
      const seed = Number.parseInt(seedInput.value, 10);
      setEndpoints(Number.isFinite(seed) && seed >= 0 ? seed : null);
    });
    const digitColumn = (label, color, canvas, readout) =>
      element("div", { class: "explorer-digits" }, [element("span", { class: "explorer-digit-label" }, [swatch(color), label]), canvas, readout]);
    container.prepend(
      element("div", { class: "explorer-stage" }, [
        digitColumn("lerp", lerpColor, lerpDigit, lerpReadout),
        digitColumn("slerp", slerpColor, slerpDigit, slerpReadout),
        plot.canvas,
      ]),
      element("label", { class: "explorer-control" }, ["t ", t, tReadout]),
      element("p", { class: "explorer-control" }, [newEndpoints, element("label", {}, ["seed ", seedInput]), origin])
    );
    setEndpoints(null);
    return { decoder, t, lerpDigit, slerpDigit, seedInput, newEndpoints, get endpoints() { return endpoints; } };
  }

  // ---------------------------------------------------------------------------
  // 6. Start-up: reveal each explorer, load its bundle when it comes near, build it
  // ---------------------------------------------------------------------------

  const WIDGETS = { plane: planeExplorer, spiral: spiralExplorer, interpolation: interpolationExplorer };
  const widgets = {}; // kind -> the built widget's state
  const readiness = {}; // kind -> Promise of it

  function showFailure(container, url, error) {
    const reason = error instanceof BundleError ? error.message : "an error occurred";
    container.replaceChildren(
      element("p", { class: "explorer-message", role: "status", text: `The interactive explorer could not start: ${url}: ${reason}. The figures show the same model.` })
    );
    container.classList.add("explorer-failed");
    if (!(error instanceof BundleError)) console.error(error); // a bug, not a bad file
  }

  function start(container) {
    const kind = container.dataset.explorer;
    const url = container.dataset.bundle;
    const build = WIDGETS[kind];
    if (!build || !url) return;
    const status = element("p", { class: "explorer-status", text: "Loading the decoder…" });
    container.prepend(status);
    container.hidden = false;
    let begin;
    const ready = new Promise((resolve) => (begin = resolve)).then(() =>
      loadBundle(url).then((bundle) => {
        if (!bundle.manifest.widget || bundle.manifest.widget.kind !== kind) throw new BundleError(`it is not a bundle for the ${kind} explorer`);
        const widget = build(container, bundle, new Decoder(bundle));
        status.remove();
        container.classList.add("explorer-ready");
        widgets[kind] = widget;
        return widget;
      })
    );
    ready.catch((error) => showFailure(container, url, error));
    readiness[kind] = ready;
    if (!("IntersectionObserver" in window)) return begin();
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          begin();
        }
      },
      { rootMargin: LOAD_MARGIN }
    );
    observer.observe(container);
  }

  window.latentspaceExplorer = {
    Decoder,
    loadBundle,
    parseBundle,
    readArray,
    halfToFloat,
    geometry: { lerp, slerp, norm, sphereSpiralPoint, DEGENERATE_SIN },
    random: { mulberry32, standardNormals, priorEndpoints },
    widgets,
    /** Promise of the widget of `kind` once its decoder is loaded and it is drawn. */
    ready: (kind) => readiness[kind],
  };

  function startAll() {
    document.querySelectorAll("div.explorer[data-explorer]").forEach(start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
