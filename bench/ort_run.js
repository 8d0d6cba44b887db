#!/usr/bin/env node
// ort_run.js - the reference runtime for dlacc's benchmarks: ONNX Runtime
// (onnxruntime-web, wasm backend, ONE thread, no worker proxy) under Node.js.
//
//   node bench/ort_run.js MODEL [--input FILE.pb ...] [--output OUT.pb ...]
//                         [--repeat N] [--warmup N] [--compare REF.pb ...] [--quiet]
//
// MODEL is a model.onnx or a zoo folder (then model.onnx in it, and, when no
// --input is given, test_data_set_0/input_*.pb). External data (*.data files
// next to the model) is handed to ORT as buffers: ORT's wasm build cannot
// read files itself.
//
// Inputs and outputs are serialized onnx.TensorProto files, as in the ONNX
// test data. They are parsed here by hand (dims, data_type, name, raw_data,
// and the typed data fields) so that this script needs nothing but
// onnxruntime-web.
//
// Timing: `warmup` untimed runs (default 2: the first run also finishes
// V8's wasm tier-up), then `repeat` timed runs (default 10). Printed on stdout,
// one line:
//   ort NAME load_s median_ms min_ms cpu_median_ms
// wall time via performance.now(); cpu_median_ms is the process CPU time
// (user+system, process.cpuUsage) of one run, which a loaded machine inflates
// much less than the wall time. --compare checks each output against a
// reference .pb with ONNX's tolerances (rtol 1e-3, atol 1e-4 here, the zoo's)
// and prints the max abs/rel error to stderr; exit 1 when it does not match.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-web');

// ONNX TensorProto.DataType <-> onnxruntime-web tensor type and typed array
const DTYPES = {
  1: ['float32', Float32Array],
  2: ['uint8', Uint8Array],
  3: ['int8', Int8Array],
  4: ['uint16', Uint16Array],
  5: ['int16', Int16Array],
  6: ['int32', Int32Array],
  7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array],
  10: ['float16', Uint16Array],
  11: ['float64', Float64Array],
  12: ['uint32', Uint32Array],
  13: ['uint64', BigUint64Array],
};
const ORT_TO_ONNX = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v[0], Number(k)]));

function die(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(2);
}

// --- protobuf wire format, only what TensorProto needs ---

class Reader {
  constructor(buf, file) {
    this.b = buf;
    this.p = 0;
    this.file = file;
  }
  varint() { // as BigInt: dims and int64 data may exceed 2^53
    let v = 0n, shift = 0n;
    for (;;) {
      if (this.p >= this.b.length) die(`${this.file}: truncated varint`);
      const c = this.b[this.p++];
      v |= BigInt(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
      shift += 7n;
      if (shift > 63n) die(`${this.file}: varint too long`);
    }
  }
  bytes(n) {
    if (n < 0 || this.p + n > this.b.length) die(`${this.file}: truncated field`);
    const s = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return s;
  }
  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.bytes(8);
    else if (wire === 2) this.bytes(Number(this.varint()));
    else if (wire === 5) this.bytes(4);
    else die(`${this.file}: unsupported wire type ${wire}`);
  }
}

// Reads a repeated scalar field that may be packed (wire 2) or not.
function readRepeated(r, wire, scalarWire, out, conv) {
  if (wire === 2) {
    const sub = new Reader(r.bytes(Number(r.varint())), r.file);
    while (sub.p < sub.b.length) out.push(conv(sub));
  } else if (wire === scalarWire) {
    out.push(conv(r));
  } else {
    die(`${r.file}: unexpected wire type ${wire}`);
  }
}

const asF32 = (r) => Buffer.from(r.bytes(4)).readFloatLE(0);
const asF64 = (r) => Buffer.from(r.bytes(8)).readDoubleLE(0);

function parseTensor(file) {
  const r = new Reader(new Uint8Array(fs.readFileSync(file)), file);
  const t = {dims: [], dataType: 0, name: '', raw: null, typed: []};
  while (r.p < r.b.length) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    switch (field) {
    case 1: readRepeated(r, wire, 0, t.dims, (s) => BigInt.asIntN(64, s.varint())); break;
    case 2: t.dataType = Number(r.varint()); break;
    case 4: readRepeated(r, wire, 5, t.typed, asF32); break;                 // float_data
    case 5: readRepeated(r, wire, 0, t.typed, (s) => Number(BigInt.asIntN(32, s.varint()))); break;
    case 7: readRepeated(r, wire, 0, t.typed, (s) => BigInt.asIntN(64, s.varint())); break;
    case 8: t.name = Buffer.from(r.bytes(Number(r.varint()))).toString('utf8'); break;
    case 9: t.raw = r.bytes(Number(r.varint())); break;
    case 10: readRepeated(r, wire, 1, t.typed, asF64); break;                // double_data
    case 11: readRepeated(r, wire, 0, t.typed, (s) => BigInt.asUintN(64, s.varint())); break;
    case 13: case 14: die(`${file}: external tensor data is not supported`); break;
    default: r.skip(wire);
    }
  }
  const dt = DTYPES[t.dataType];
  if (!dt) die(`${file}: unsupported data_type ${t.dataType}`);
  const dims = t.dims.map((d) => {
    if (d < 0n || d > 0x7fffffffn) die(`${file}: bad dim ${d}`);
    return Number(d);
  });
  const n = dims.reduce((a, b) => a * b, 1);
  const [type, Arr] = dt;
  let data;
  if (t.raw) {
    if (t.raw.length !== n * Arr.BYTES_PER_ELEMENT)
      die(`${file}: raw_data has ${t.raw.length} bytes, shape needs ${n * Arr.BYTES_PER_ELEMENT}`);
    data = new Arr(n); // copy: the subarray may be unaligned for the typed view
    new Uint8Array(data.buffer).set(t.raw);
  } else {
    if (t.typed.length !== n) die(`${file}: ${t.typed.length} values for ${n} elements`);
    // int32_data also carries the narrow integer types, bool and float16 bit patterns
    data = Arr.from(t.typed, (v) => (Arr === BigInt64Array || Arr === BigUint64Array ? BigInt(v) : Number(v)));
  }
  return {name: t.name, type, dims, data};
}

function varintBytes(v) { // v: non-negative BigInt or number
  let x = BigInt(v);
  const out = [];
  do {
    let c = Number(x & 0x7fn);
    x >>= 7n;
    if (x) c |= 0x80;
    out.push(c);
  } while (x);
  return out;
}

function writeTensor(file, name, tensor) {
  const dt = ORT_TO_ONNX[tensor.type];
  if (!dt) die(`cannot write an output of type ${tensor.type}`);
  const parts = [];
  for (const d of tensor.dims) parts.push(Buffer.from([0x08, ...varintBytes(d)]));
  parts.push(Buffer.from([0x10, ...varintBytes(dt)]));
  const nm = Buffer.from(name, 'utf8');
  parts.push(Buffer.from([0x42, ...varintBytes(nm.length)]), nm);
  const d = tensor.data;
  const raw = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  parts.push(Buffer.from([0x4a, ...varintBytes(raw.length)]), raw);
  fs.writeFileSync(file, Buffer.concat(parts));
}

// max abs error, max error relative to |ref|, and ONNX-style allclose
function compare(got, ref, rtol, atol) {
  if (got.data.length !== ref.data.length || got.dims.join() !== ref.dims.join())
    return {ok: false, why: `shape [${got.dims}] vs reference [${ref.dims}]`};
  let maxAbs = 0, maxRel = 0, bad = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const a = Number(got.data[i]), b = Number(ref.data[i]);
    const e = Math.abs(a - b);
    if (!(e <= atol + rtol * Math.abs(b))) bad++;
    if (e > maxAbs || Number.isNaN(e)) maxAbs = e;
    if (b !== 0 && e / Math.abs(b) > maxRel) maxRel = e / Math.abs(b);
  }
  return {ok: bad === 0, maxAbs, maxRel, bad};
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function parseArgs(argv) {
  const o = {model: null, inputs: [], outputs: [], compares: [], repeat: 10, warmup: 2, quiet: false};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value`));
    if (a === '--input') o.inputs.push(val());
    else if (a === '--output') o.outputs.push(val());
    else if (a === '--compare') o.compares.push(val());
    else if (a === '--repeat') o.repeat = parseInt(val(), 10);
    else if (a === '--warmup') o.warmup = parseInt(val(), 10);
    else if (a === '--quiet') o.quiet = true;
    else if (a.startsWith('-')) die(`unknown option ${a}`);
    else if (!o.model) o.model = a;
    else die(`unexpected argument ${a}`);
  }
  if (!o.model) die('usage: node ort_run.js MODEL [--input F.pb ...] [--output O.pb ...] ' +
                    '[--repeat N] [--warmup N] [--compare REF.pb ...] [--quiet]');
  if (!(o.repeat >= 1)) die('--repeat must be >= 1');
  if (!(o.warmup >= 0)) die('--warmup must be >= 0');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let modelFile = o.model, dir = path.dirname(o.model);
  if (fs.statSync(o.model).isDirectory()) {
    dir = o.model;
    modelFile = path.join(dir, 'model.onnx');
    if (!o.inputs.length) {
      const td = path.join(dir, 'test_data_set_0');
      for (let k = 0; fs.existsSync(path.join(td, `input_${k}.pb`)); k++)
        o.inputs.push(path.join(td, `input_${k}.pb`));
    }
  }
  if (!o.inputs.length) die('no inputs: pass --input FILE.pb');
  const name = path.basename(path.resolve(dir));

  ort.env.wasm.numThreads = 1; // dlacc's host code is single-threaded: compare like with like
  ort.env.wasm.proxy = false;  // run in this thread, no worker
  ort.env.logLevel = 'error';

  const t0 = performance.now();
  const opts = {executionProviders: ['wasm'], graphOptimizationLevel: 'all'};
  const extra = fs.readdirSync(dir).filter((f) => f.endsWith('.data'));
  if (extra.length)
    opts.externalData = extra.map((f) => ({path: f, data: new Uint8Array(fs.readFileSync(path.join(dir, f)))}));
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(modelFile)), opts);
  const loadS = (performance.now() - t0) / 1000;

  // feeds: by the .pb's name when it names a graph input, else in graph order
  const feeds = {};
  o.inputs.forEach((f, i) => {
    const t = parseTensor(f);
    const key = session.inputNames.includes(t.name) ? t.name : session.inputNames[i];
    if (key === undefined) die(`${f}: the model has only ${session.inputNames.length} inputs`);
    feeds[key] = new ort.Tensor(t.type, t.data, t.dims);
  });

  let res;
  for (let i = 0; i < o.warmup; i++) res = await session.run(feeds);
  const wall = [], cpu = [];
  for (let i = 0; i < o.repeat; i++) {
    const c0 = process.cpuUsage();
    const s = performance.now();
    res = await session.run(feeds);
    wall.push(performance.now() - s);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }

  let status = 0;
  session.outputNames.forEach((oname, i) => {
    const out = res[oname];
    if (i < o.outputs.length) writeTensor(o.outputs[i], oname, out);
    if (i < o.compares.length) {
      const ref = parseTensor(o.compares[i]);
      const c = compare({dims: out.dims, data: out.data}, ref, 1e-3, 1e-4);
      if (c.why) process.stderr.write(`ort_run: output ${oname}: ${c.why}\n`);
      else process.stderr.write(`ort_run: output ${oname}: max abs err ${c.maxAbs.toExponential(3)}, ` +
                                `max rel err ${c.maxRel.toExponential(3)}, ${c.bad} outside rtol 1e-3/atol 1e-4\n`);
      if (!c.ok) status = 1;
    }
  });
  if (!o.quiet)
    console.log(`ort ${name} ${loadS.toFixed(3)} ${median(wall).toFixed(2)} ${Math.min(...wall).toFixed(2)} ` +
                `${median(cpu).toFixed(2)}`);
  await session.release();
  process.exitCode = status;
}

main().catch((e) => die(e && e.message ? e.message : String(e)));
