/* A small QR code encoder (ISO/IEC 18004): byte mode (UTF-8), error correction level M,
 * versions 1–10 (up to 213 bytes), the mask with the lowest penalty. Renders an SVG.
 *
 * Written for the avatar pages so a show_qr action needs no third-party script or CDN.
 * window.BankQR.matrix(text[, {version, mask}]) returns the module matrix (true = dark);
 * window.BankQR.svg(text) returns an <svg> element.
 */
(function (root) {
  "use strict";

  // Level M, versions 1..10: [total codewords, EC codewords per block, blocks].
  const TABLE = [null,
    [26, 10, 1], [44, 16, 1], [70, 26, 1], [100, 18, 2], [134, 24, 2],
    [172, 16, 4], [196, 18, 4], [242, 22, 4], [292, 22, 5], [346, 26, 5]];
  const ALIGN = [null, [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
    [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];
  const EC_BITS_M = 0;

  // ---------------------------------------------------------------- GF(256) and Reed–Solomon

  const EXP = new Array(512);
  const LOG = new Array(256);
  (function () {
    let x = 1;
    for (let i = 0; i < 255; i++) {
      EXP[i] = x;
      LOG[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11d;
    }
    for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
  })();

  function mul(a, b) {
    return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
  }

  function generator(degree) {
    // Coefficients of prod (x - a^i), i = 0..degree-1, highest power first (leading 1 dropped).
    let poly = [1];
    for (let i = 0; i < degree; i++) {
      const next = new Array(poly.length + 1).fill(0);
      for (let j = 0; j < poly.length; j++) {
        next[j] ^= poly[j];
        next[j + 1] ^= mul(poly[j], EXP[i]);
      }
      poly = next;
    }
    return poly.slice(1);
  }

  function remainder(data, degree) {
    const gen = generator(degree);
    const rem = new Array(degree).fill(0);
    for (const byte of data) {
      const factor = byte ^ rem.shift();
      rem.push(0);
      for (let i = 0; i < degree; i++) rem[i] ^= mul(gen[i], factor);
    }
    return rem;
  }

  // ---------------------------------------------------------------- codewords

  function utf8(text) {
    return Array.from(new TextEncoder().encode(text));
  }

  function dataCapacity(version) {
    const [total, ec, blocks] = TABLE[version];
    return total - ec * blocks;
  }

  function chooseVersion(length) {
    for (let version = 1; version <= 10; version++) {
      const countBits = version < 10 ? 8 : 16;
      if (4 + countBits + 8 * length <= 8 * dataCapacity(version)) return version;
    }
    throw new Error("QR payload too long (at most 213 bytes)");
  }

  function codewords(bytes, version) {
    const capacity = dataCapacity(version);
    const bits = [];
    const put = (value, length) => { for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1); };
    put(0b0100, 4);
    put(bytes.length, version < 10 ? 8 : 16);
    for (const byte of bytes) put(byte, 8);
    put(0, Math.min(4, capacity * 8 - bits.length));
    while (bits.length % 8) bits.push(0);
    const data = [];
    for (let i = 0; i < bits.length; i += 8) data.push(parseInt(bits.slice(i, i + 8).join(""), 2));
    for (let pad = 0xec; data.length < capacity; pad ^= 0xec ^ 0x11) data.push(pad);

    const [total, ecLength, blockCount] = TABLE[version];
    const shortLength = Math.floor(total / blockCount) - ecLength;
    const longBlocks = total % blockCount;
    const blocks = [];
    let offset = 0;
    for (let b = 0; b < blockCount; b++) {
      const length = shortLength + (b >= blockCount - longBlocks ? 1 : 0);
      const chunk = data.slice(offset, offset + length);
      offset += length;
      blocks.push({ data: chunk, ec: remainder(chunk, ecLength) });
    }
    const out = [];
    for (let i = 0; i <= shortLength; i++) {
      for (const block of blocks) if (i < block.data.length) out.push(block.data[i]);
    }
    for (let i = 0; i < ecLength; i++) for (const block of blocks) out.push(block.ec[i]);
    return out;
  }

  // ---------------------------------------------------------------- the matrix

  function build(version, words, mask) {
    const size = version * 4 + 17;
    const modules = Array.from({ length: size }, () => new Array(size).fill(false));
    const fixed = Array.from({ length: size }, () => new Array(size).fill(false));
    const set = (x, y, dark) => { modules[y][x] = dark; fixed[y][x] = true; };

    for (let i = 0; i < size; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
    const finder = (cx, cy) => {
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          const d = Math.max(Math.abs(dx), Math.abs(dy));
          set(x, y, d !== 2 && d !== 4);
        }
      }
    };
    finder(3, 3); finder(size - 4, 3); finder(3, size - 4);
    const align = ALIGN[version];
    for (const ay of align) {
      for (const ax of align) {
        if ((ax === 6 && ay === 6) || (ax === 6 && ay === align[align.length - 1]) ||
            (ay === 6 && ax === align[align.length - 1])) continue;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
        }
      }
    }
    drawFormat(set, size, mask);
    if (version >= 7) {
      let rem = version;
      for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      const bits = (version << 12) | rem;
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1;
        const a = size - 11 + (i % 3);
        const b = Math.floor(i / 3);
        set(a, b, dark);
        set(b, a, dark);
      }
    }

    let bit = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vert = 0; vert < size; vert++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? size - 1 - vert : vert;
          if (fixed[y][x]) continue;
          let dark = false;
          if (bit < words.length * 8) dark = ((words[bit >>> 3] >>> (7 - (bit & 7))) & 1) === 1;
          bit++;
          if (MASKS[mask](x, y)) dark = !dark;
          modules[y][x] = dark;
        }
      }
    }
    return modules;
  }

  function drawFormat(set, size, mask) {
    const data = (EC_BITS_M << 3) | mask;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bitAt = (i) => ((bits >>> i) & 1) === 1;
    for (let i = 0; i <= 5; i++) set(8, i, bitAt(i));
    set(8, 7, bitAt(6));
    set(8, 8, bitAt(7));
    set(7, 8, bitAt(8));
    for (let i = 9; i < 15; i++) set(14 - i, 8, bitAt(i));
    for (let i = 0; i < 8; i++) set(size - 1 - i, 8, bitAt(i));
    for (let i = 8; i < 15; i++) set(8, size - 15 + i, bitAt(i));
    set(8, size - 8, true); // the dark module
  }

  const MASKS = [
    (x, y) => (x + y) % 2 === 0,
    (x, y) => y % 2 === 0,
    (x, y) => x % 3 === 0,
    (x, y) => (x + y) % 3 === 0,
    (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
    (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
    (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
    (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
  ];

  // The four penalty rules; any mask decodes, the lowest penalty just scans best.
  function penalty(m) {
    const size = m.length;
    let score = 0;
    const line = (get) => {
      for (let a = 0; a < size; a++) {
        let run = 1;
        for (let b = 1; b < size; b++) {
          if (get(a, b) === get(a, b - 1)) {
            run++;
            if (run === 5) score += 3;
            else if (run > 5) score += 1;
          } else run = 1;
        }
        for (let b = 0; b + 10 < size + 1; b++) {
          const seq = [];
          for (let k = 0; k < 11 && b + k < size; k++) seq.push(get(a, b + k) ? 1 : 0);
          const s = seq.join("");
          if (s === "10111010000" || s === "00001011101") score += 40;
        }
      }
    };
    line((a, b) => m[a][b]);
    line((a, b) => m[b][a]);
    let dark = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (m[y][x]) dark++;
        if (x + 1 < size && y + 1 < size && m[y][x] === m[y][x + 1] && m[y][x] === m[y + 1][x] &&
            m[y][x] === m[y + 1][x + 1]) score += 3;
      }
    }
    score += 10 * Math.floor(Math.abs(dark * 20 - size * size * 10) / (size * size));
    return score;
  }

  function matrix(text, options) {
    const bytes = utf8(String(text));
    const version = (options && options.version) || chooseVersion(bytes.length);
    const words = codewords(bytes, version);
    if (options && options.mask !== undefined) return build(version, words, options.mask);
    let best = null;
    let bestScore = Infinity;
    for (let mask = 0; mask < 8; mask++) {
      const candidate = build(version, words, mask);
      const score = penalty(candidate);
      if (score < bestScore) { best = candidate; bestScore = score; }
    }
    return best;
  }

  function svg(text) {
    const m = matrix(text);
    const quiet = 4;
    const size = m.length + quiet * 2;
    const ns = "http://www.w3.org/2000/svg";
    const node = document.createElementNS(ns, "svg");
    node.setAttribute("viewBox", "0 0 " + size + " " + size);
    node.setAttribute("shape-rendering", "crispEdges");
    node.setAttribute("role", "img");
    node.setAttribute("aria-label", String(text));
    let d = "";
    m.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += "M" + (x + quiet) + " " + (y + quiet) + "h1v1h-1z"; }));
    const bg = document.createElementNS(ns, "rect");
    bg.setAttribute("width", size);
    bg.setAttribute("height", size);
    bg.setAttribute("fill", "#fff");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "#0b1f33");
    node.append(bg, path);
    return node;
  }

  const api = { matrix, svg };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.BankQR = api;
})(typeof window !== "undefined" ? window : globalThis);
