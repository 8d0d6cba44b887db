// ort_bench.mjs - ONNX Runtime (onnxruntime-web, wasm backend, 1 thread) inference time
// of a model, the reference point for bench/bench_host.sh.
//   node bench/ort/ort_bench.mjs MODEL_DIR [REPEAT]
// MODEL_DIR holds model.onnx (and model.onnx.data if the weights are external) and
// test_data_set_0/input_0.pb; the input is fed as zeros of that input's declared shape
// (timing does not depend on the values). Prints "ort <name> load_s run_median_s run_min_s".
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';

const dir = process.argv[2];
const repeat = parseInt(process.argv[3] || '10', 10);
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
const t0 = performance.now();
const opts = {executionProviders: ['wasm'], graphOptimizationLevel: 'all'};
const dataPath = path.join(dir, 'model.onnx.data');
if (fs.existsSync(dataPath))
  opts.externalData = [{path: 'model.onnx.data', data: new Uint8Array(fs.readFileSync(dataPath))}];
const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(path.join(dir, 'model.onnx'))), opts);
const t1 = performance.now();
const name = session.inputNames[0];
// the input's shape comes from the zoo README (every float model here takes [1,3,224,224] or [N,1,8,8])
const shapes = {digits_cnn: [1, 1, 8, 8], tiny_encoder: [1, 32]};
const base = path.basename(path.resolve(dir));
const shape = shapes[base] || [1, 3, 224, 224];
const n = shape.reduce((a, b) => a * b, 1);
const feed = {};
feed[name] = base === 'tiny_encoder' ? new ort.Tensor('int64', new BigInt64Array(n), shape)
                                     : new ort.Tensor('float32', new Float32Array(n), shape);
await session.run(feed); // warm-up
const times = [];
for (let i = 0; i < repeat; i++) {
  const s = performance.now();
  await session.run(feed);
  times.push((performance.now() - s) / 1000);
}
times.sort((a, b) => a - b);
console.log(`ort ${base} ${((t1 - t0) / 1000).toFixed(3)} ${times[Math.floor(times.length / 2)].toFixed(4)} ${times[0].toFixed(4)}`);
