#!/usr/bin/python3
"""gen_test_nets.py - writes the small test networks of tests/data/nets/.

A developer tool (python3 with the `onnx` and `numpy` modules; tests never run
it). Each network is a typical CNN building block (mobile block with
squeeze-and-excitation and hard-swish, SiLU block, ShuffleNet unit, Inception
block, dense block, feature-pyramid top-down path, detection head) with random
weights, NCHW, batch 1, opset 13 (14 where HardSwish needs it), fed a feature
map (8..64 channels, 16..32 px) as a block in the middle of a network is. They
are blocks, a few layers deep, not whole networks: the int8 error of a chain
of layers grows with its depth, and these networks measure op coverage. Written per network, under OUT/NAME/:

    model.onnx                       the model (< 200 KB)
    calib/input_K.pb                 8 calibration inputs (onnx.TensorProto)
    test_data_set_0/input_0.pb       the test input
    test_data_set_0/output_0.pb      the float output on it, computed here by numpy

Weights are scaled so that activations stay in a realistic range: every Conv
(and ConvTranspose) gets He-initialized weights, then a per-output-channel
rescale and bias estimated on the 9 inputs (8 calibration + test), as a
BatchNorm folded after training would leave them: each channel gets mean beta
and standard deviation gamma, with gamma in [0.7, 1.3] and beta in [-0.3, 0.3].
BatchNormalization nodes (dense block, where BN follows a Concat) get their
mean and variance from the data the same way. The numpy forward pass that does
this is an independent float reference (ONNX semantics written out here), and
it gives output_0.pb.

Usage: tools/gen_test_nets.py [OUT_DIR] [--seed N] [--only NAME,...]
Default OUT_DIR: tests/data/nets beside this script's checkout.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
NCALIB = 8


class Net:
    """Builds an ONNX graph and, in step, its numpy forward over a batch of
    inputs (row 0: the test input, rows 1..8: the calibration inputs)."""

    def __init__(self, name, rng, shape, opset=OPSET):
        self.name = name
        self.opset = opset
        self.rng = rng
        self.nodes, self.inits = [], []
        self.val = {}
        self.count = {}
        x = feature_map(rng, (1 + NCALIB,) + tuple(shape[1:])).astype(np.float32)
        self.input = helper.make_tensor_value_info("input", TensorProto.FLOAT, list(shape))
        self.val["input"] = x.astype(np.float64)

    # ---- naming and constants ----
    def fresh(self, base):
        k = self.count.get(base, 0)
        self.count[base] = k + 1
        return "%s_%d" % (base, k)

    def const(self, base, arr):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, inputs, value, outs=None, **attrs):
        outs = outs or [self.fresh(op.lower())]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.fresh("n_" + op.lower()), **attrs))
        if len(outs) == 1:
            self.val[outs[0]] = value
            return outs[0]
        for o, v in zip(outs, value):
            self.val[o] = v
        return outs

    def shape(self, x):
        return self.val[x].shape

    # ---- layers ----
    def conv(self, x, cout, k=3, stride=1, pad=None, group=1, dilation=1, bias=True):
        """Conv with He weights, rescaled per channel (see the module comment)."""
        xv = self.val[x]
        cin = xv.shape[1]
        pad = (k - 1) // 2 * dilation if pad is None else pad
        w = self.rng.standard_normal((cout, cin // group, k, k)) * np.sqrt(2.0 / (cin // group * k * k))
        y = conv2d(xv, w, None, stride, pad, group, dilation)
        m, s = y.mean(axis=(0, 2, 3)), y.std(axis=(0, 2, 3)) + 1e-6
        if y.shape[2] * y.shape[3] == 1:
            # squeeze-and-excitation on pooled values: no BatchNorm there, so no
            # per-channel centring (which would blow up the small differences
            # between inputs); only the scale is set
            m, s = np.zeros(cout), np.sqrt((y * y).mean(axis=(0, 2, 3))) + 1e-6
        gamma = self.rng.uniform(0.7, 1.3, cout)
        beta = self.rng.uniform(-0.3, 0.3, cout)
        w = w * (gamma / s)[:, None, None, None]
        b = beta - m * gamma / s
        if not bias:
            b = np.zeros(cout)
        y = conv2d(xv, w, b, stride, pad, group, dilation)
        ins = [x, self.const("w", w.astype(np.float32))]
        if bias:
            ins.append(self.const("b", b.astype(np.float32)))
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)
        if group != 1:
            attrs["group"] = group
        if dilation != 1:
            attrs["dilations"] = [dilation, dilation]
        return self.node("Conv", ins, y, **attrs)

    def conv_transpose(self, x, cout, k=4, stride=2, pad=1):
        xv = self.val[x]
        cin = xv.shape[1]
        w = self.rng.standard_normal((cin, cout, k, k)) * np.sqrt(2.0 / (cin * k * k / (stride * stride)))
        y = conv_transpose2d(xv, w, np.zeros(cout), stride, pad)
        m, s = y.mean(axis=(0, 2, 3)), y.std(axis=(0, 2, 3)) + 1e-6
        gamma = self.rng.uniform(0.7, 1.3, cout)
        beta = self.rng.uniform(-0.3, 0.3, cout)
        w = w * (gamma / s)[None, :, None, None]
        b = beta - m * gamma / s
        y = conv_transpose2d(xv, w, b, stride, pad)
        return self.node("ConvTranspose", [x, self.const("w", w.astype(np.float32)),
                                           self.const("b", b.astype(np.float32))], y,
                         kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def batchnorm(self, x):
        xv = self.val[x]
        c = xv.shape[1]
        mean, var = xv.mean(axis=(0, 2, 3)), xv.var(axis=(0, 2, 3))
        gamma = self.rng.uniform(0.7, 1.3, c)
        beta = self.rng.uniform(-0.3, 0.3, c)
        eps = 1e-5
        y = (xv - mean[None, :, None, None]) / np.sqrt(var + eps)[None, :, None, None] * gamma[None, :, None, None] \
            + beta[None, :, None, None]
        ins = [x] + [self.const(n, a.astype(np.float32)) for n, a in
                     (("bn_scale", gamma), ("bn_bias", beta), ("bn_mean", mean), ("bn_var", var))]
        return self.node("BatchNormalization", ins, y, epsilon=eps)

    def relu(self, x):
        return self.node("Relu", [x], np.maximum(self.val[x], 0))

    def clip(self, x, lo, hi):
        return self.node("Clip", [x, self.const("lo", np.float32(lo)), self.const("hi", np.float32(hi))],
                         np.clip(self.val[x], lo, hi))

    def sigmoid(self, x):
        return self.node("Sigmoid", [x], 1 / (1 + np.exp(-self.val[x])))

    def hard_sigmoid(self, x, alpha=1 / 6, beta=0.5):
        return self.node("HardSigmoid", [x], np.clip(alpha * self.val[x] + beta, 0, 1), alpha=alpha, beta=beta)

    def hard_swish(self, x):
        v = self.val[x]
        return self.node("HardSwish", [x], v * np.clip(v / 6 + 0.5, 0, 1))

    def binary(self, op, a, b):
        """Add/Sub/Mul/Div with numpy broadcasting; b may be a Python number (a constant)."""
        av = self.val[a]
        if isinstance(b, (int, float)):
            bv, b = np.float64(b), self.const("c", np.float32(b))
        else:
            bv = self.val[b]
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return self.node(op, [a, b], f(av, bv))

    def hswish_decomposed(self, x):
        """x * Relu6(x + 3) / 6, as exporters write hard-swish."""
        return self.binary("Div", self.binary("Mul", x, self.clip(self.binary("Add", x, 3.0), 0, 6)), 6.0)

    def hsigmoid_decomposed(self, x):
        """Relu6(x + 3) / 6."""
        return self.binary("Div", self.clip(self.binary("Add", x, 3.0), 0, 6), 6.0)

    def silu(self, x):
        return self.binary("Mul", x, self.sigmoid(x))

    def gap(self, x):
        return self.node("GlobalAveragePool", [x], self.val[x].mean(axis=(2, 3), keepdims=True))

    def maxpool(self, x, k, stride, pad=0):
        return self.node("MaxPool", [x], pool2d(self.val[x], k, stride, pad, "max"),
                         kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def avgpool(self, x, k, stride, pad=0, count_include_pad=0):
        return self.node("AveragePool", [x], pool2d(self.val[x], k, stride, pad, "avg", count_include_pad),
                         kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4,
                         count_include_pad=count_include_pad)

    def concat(self, xs, axis=1):
        return self.node("Concat", list(xs), np.concatenate([self.val[x] for x in xs], axis=axis), axis=axis)

    def split(self, x, sizes, axis=1):
        v = self.val[x]
        parts = np.split(v, np.cumsum(sizes)[:-1], axis=axis)
        outs = [self.fresh("split") for _ in sizes]
        return self.node("Split", [x, self.const("split", np.array(sizes, np.int64))], parts, outs=outs, axis=axis)

    def reshape(self, x, shape):
        v = self.val[x]
        # the batch of the numpy forward is not the model's: dim 0 is 1 in the model
        return self.node("Reshape", [x, self.const("shape", np.array(shape, np.int64))],
                         v.reshape((v.shape[0],) + tuple(shape[1:])))

    def transpose(self, x, perm):
        return self.node("Transpose", [x], self.val[x].transpose(perm), perm=perm)

    def flatten(self, x):
        v = self.val[x]
        return self.node("Flatten", [x], v.reshape(v.shape[0], -1), axis=1)

    def gemm(self, x, n):
        v = self.val[x]
        k = v.shape[1]
        w = self.rng.standard_normal((n, k)) * np.sqrt(1.0 / k)
        y = v @ w.T
        s = y.std() + 1e-6
        w = w / s
        b = self.rng.uniform(-0.5, 0.5, n)
        return self.node("Gemm", [x, self.const("w", w.astype(np.float32)), self.const("b", b.astype(np.float32))],
                         v @ w.T + b, transB=1)

    def resize(self, x, factor, mode, coord, nearest_mode=None, by_sizes=False):
        v = self.val[x]
        y = resize2d(v, factor, mode, coord, nearest_mode or "round_prefer_floor")
        roi = self.const("roi", np.zeros(0, np.float32))
        if by_sizes:
            ins = [x, roi, "", self.const("sizes", np.array([1, v.shape[1], y.shape[2], y.shape[3]], np.int64))]
        else:
            ins = [x, roi, self.const("scales", np.array([1, 1, factor, factor], np.float32))]
        attrs = dict(mode=mode, coordinate_transformation_mode=coord)
        if nearest_mode:
            attrs["nearest_mode"] = nearest_mode
        return self.node("Resize", ins, y, **attrs)

    # ---- output ----
    def write(self, out_dir, y):
        yv = self.val[y].astype(np.float32)
        out = helper.make_tensor_value_info(y, TensorProto.FLOAT, [1] + list(yv.shape[1:]))
        graph = helper.make_graph(self.nodes, self.name, [self.input], [out], self.inits)
        model = helper.make_model(graph, producer_name="dlacc gen_test_nets.py",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = 7
        onnx.checker.check_model(model)
        d = os.path.join(out_dir, self.name)
        os.makedirs(os.path.join(d, "calib"), exist_ok=True)
        os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
        onnx.save(model, os.path.join(d, "model.onnx"))
        x = self.val["input"].astype(np.float32)

        def save(arr, name, path):
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(np.ascontiguousarray(arr), name).SerializeToString())

        save(x[0:1], "input", os.path.join(d, "test_data_set_0", "input_0.pb"))
        save(yv[0:1], y, os.path.join(d, "test_data_set_0", "output_0.pb"))
        for k in range(NCALIB):
            save(x[k + 1:k + 2], "input", os.path.join(d, "calib", "input_%d.pb" % k))
        size = os.path.getsize(os.path.join(d, "model.onnx"))
        print("%-16s %3d nodes  %7d bytes  output %s  std %.3f" %
              (self.name, len(self.nodes), size, list(yv.shape[1:]), float(yv.std())))
        if size >= 200 * 1024:
            sys.exit("%s: model.onnx is %d bytes (keep the test networks under 200 KB)" % (self.name, size))


# ---- inputs ----

def feature_map(rng, shape):
    """Inputs that look like a CNN's feature maps rather than white noise:
    spatially smooth (bilinear 4x upsampling of coarse noise) plus some fine
    detail, and a per-input per-channel offset, so that pooled values differ
    between inputs as they do between images. Standard deviation 1."""
    n, c, h, w = shape
    coarse = rng.standard_normal((n, c, (h + 3) // 4, (w + 3) // 4))
    smooth = resize2d(coarse, 4, "linear", "half_pixel", None)[:, :, :h, :w]
    x = smooth + 1.0 * rng.standard_normal(shape) + 0.5 * rng.standard_normal((n, c, 1, 1))
    return (x - x.mean()) / x.std()


# ---- numpy reference of the ONNX ops (float64) ----

def conv2d(x, w, b, stride, pad, group, dilation):
    n, c, h, wd = x.shape
    co, cig, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - dilation * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pad - dilation * (kw - 1) - 1) // stride + 1
    xg = xp.reshape(n, group, cig, xp.shape[2], xp.shape[3])
    wg = w.reshape(group, co // group, cig, kh, kw)
    y = np.zeros((n, group, co // group, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xg[:, :, :, i * dilation:i * dilation + stride * (oh - 1) + 1:stride,
                       j * dilation:j * dilation + stride * (ow - 1) + 1:stride]
            y += np.einsum("bgchw,goc->bgohw", patch, wg[:, :, :, i, j])
    y = y.reshape(n, co, oh, ow)
    if b is not None:
        y += np.asarray(b)[None, :, None, None]
    return y


def conv_transpose2d(x, w, b, stride, pad):
    n, ci, h, wd = x.shape
    _, co, kh, kw = w.shape
    fh, fw = (h - 1) * stride + kh, (wd - 1) * stride + kw
    full = np.zeros((n, co, fh, fw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + stride * (h - 1) + 1:stride, j:j + stride * (wd - 1) + 1:stride] += \
                np.einsum("bchw,co->bohw", x, w[:, :, i, j])
    y = full[:, :, pad:fh - pad, pad:fw - pad]
    return y + np.asarray(b)[None, :, None, None]


def pool2d(x, k, stride, pad, kind, count_include_pad=0):
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    ones = np.pad(np.ones((h, w)), ((pad, pad), (pad, pad)))
    y = np.full((n, c, oh, ow), -np.inf) if kind == "max" else np.zeros((n, c, oh, ow))
    cnt = np.zeros((oh, ow))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            y = np.maximum(y, patch) if kind == "max" else y + patch
            cnt += ones[i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
    if kind == "avg":
        y = y / (k * k if count_include_pad else cnt[None, None])
    return y


def resize_axis(x, axis, factor, mode, coord, nearest_mode):
    """ONNX Resize along one axis with an integer scale (opset 13 semantics)."""
    n_in = x.shape[axis]
    n_out = int(np.floor(n_in * factor))
    o = np.arange(n_out, dtype=np.float64)
    if coord == "asymmetric":
        src = o / factor
    elif coord == "half_pixel":
        src = (o + 0.5) / factor - 0.5
    elif coord == "align_corners":
        src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros_like(o)
    else:
        raise ValueError(coord)
    if mode == "nearest":
        if nearest_mode == "floor":
            idx = np.floor(src)
        elif nearest_mode == "round_prefer_floor":
            idx = np.where(src - np.floor(src) == 0.5, np.floor(src), np.round(src))
        else:
            raise ValueError(nearest_mode)
        idx = np.clip(idx, 0, n_in - 1).astype(np.int64)
        return np.take(x, idx, axis=axis)
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    f = src - lo
    shape = [1] * x.ndim
    shape[axis] = n_out
    f = f.reshape(shape)
    return np.take(x, lo, axis=axis) * (1 - f) + np.take(x, hi, axis=axis) * f


def resize2d(x, factor, mode, coord, nearest_mode):
    return resize_axis(resize_axis(x, 2, factor, mode, coord, nearest_mode), 3, factor, mode, coord, nearest_mode)


# ---- the networks ----

def mobile_se_hswish(rng, name="mobile_se_hswish", c=16, hw=16):
    """MobileNetV3-style inverted residual on a 16-channel feature map: 1x1
    expand with HardSwish (the op), 3x3 depthwise with hard-swish written
    x*Relu6(x+3)/6, squeeze-and-excitation (GlobalAveragePool, 1x1, Relu, 1x1,
    gate Relu6(x+3)/6; the [1,C,1,1] gate scales [1,C,H,W]), 1x1 project,
    residual Add; then a stride-2 5x5 depthwise with HardSwish, its SE gated
    by HardSigmoid (the op)."""
    n = Net(name, rng, (1, c, hw, hw), opset=14)  # HardSwish: opset 14
    x, ce = "input", 3 * c
    e = n.hard_swish(n.conv(x, ce, 1))
    d = n.hswish_decomposed(n.conv(e, ce, 3, group=ce))
    s = n.hsigmoid_decomposed(n.conv(n.relu(n.conv(n.gap(d), ce // 4, 1)), ce, 1))
    x = n.binary("Add", x, n.conv(n.binary("Mul", d, s), c, 1))
    d = n.hard_swish(n.conv(x, c, 5, stride=2, group=c))
    s = n.hard_sigmoid(n.conv(n.relu(n.conv(n.gap(d), c // 2, 1)), c, 1))
    return n, n.binary("Mul", s, d)


def silu_block(rng, name="silu_block", c=16, hw=16):
    """EfficientNet-style MBConv with SiLU written x*Sigmoid(x): 1x1 expand,
    3x3 depthwise, SE with a SiLU reduce and a Sigmoid gate, 1x1 project,
    residual Add."""
    n = Net(name, rng, (1, c, hw, hw))
    x, ce = "input", 3 * c
    e = n.silu(n.conv(x, ce, 1))
    d = n.silu(n.conv(e, ce, 3, group=ce))
    s = n.sigmoid(n.conv(n.silu(n.conv(n.gap(d), c // 2, 1)), ce, 1))
    return n, n.binary("Add", x, n.conv(n.binary("Mul", d, s), c, 1))


def channel_shuffle(n, x, groups):
    b, c, h, w = n.shape(x)
    r = n.reshape(x, [1, groups, c // groups, h, w])
    t = n.transpose(r, [0, 2, 1, 3, 4])
    return n.reshape(t, [1, c, h, w])


def shuffle_unit(rng, name="shuffle_unit", c=24, hw=16):
    """ShuffleNetV2 stage on a 24-channel feature map: a stride-2 unit (two
    branches, Concat, channel shuffle Reshape-Transpose-Reshape) and a basic
    unit (Split in halves, one branch, Concat, shuffle)."""
    n = Net(name, rng, (1, c, hw, hw))

    def branch(v, cout, stride):
        a = n.relu(n.conv(v, cout, 1))
        a = n.conv(a, cout, 3, stride=stride, group=cout)
        return n.relu(n.conv(a, cout, 1))

    x = "input"
    c = n.shape(x)[1]
    left = n.relu(n.conv(n.conv(x, c, 3, stride=2, group=c), c, 1))
    x = channel_shuffle(n, n.concat([left, branch(x, c, 2)]), 2)
    c = n.shape(x)[1]
    l, r = n.split(x, [c // 2, c // 2])
    return n, channel_shuffle(n, n.concat([l, branch(r, c // 2, 1)]), 2)


def inception_block(rng, name="inception_block", c=32, hw=12, widths=(16, 24, 12, 8)):
    """GoogLeNet-style block on a 32-channel map: 1x1 / 1x1->3x3 /
    1x1->3x3->3x3 / 3x3 avgpool (count_include_pad=0)->1x1 branches of widths
    16, 24, 12, 8 concatenated, then a 3x3 stride-2 max pool."""
    n = Net(name, rng, (1, c, hw, hw))
    x, (w1, w2, w3, w4) = "input", widths
    b1 = n.relu(n.conv(x, w1, 1))
    b2 = n.relu(n.conv(n.relu(n.conv(x, w2 // 2, 1)), w2, 3))
    b3 = n.relu(n.conv(n.relu(n.conv(n.relu(n.conv(x, w3 // 2, 1)), w3, 3)), w3, 3))
    b4 = n.relu(n.conv(n.avgpool(x, 3, 1, 1, count_include_pad=0), w4, 1))
    return n, n.maxpool(n.concat([b1, b2, b3, b4]), 3, 2, 1)


def dense_block(rng, name="dense_block", c=16, hw=16, growth=8):
    """DenseNet block on a 16-channel map: three BN-ReLU-1x1-BN-ReLU-3x3
    layers of growth 8, each output concatenated to everything before it
    (BatchNormalization after a Concat, not after a Conv), then a
    BN-ReLU-1x1-AvgPool transition."""
    n = Net(name, rng, (1, c, hw, hw))
    x = "input"
    for _ in range(3):
        y = n.conv(n.relu(n.batchnorm(x)), 4 * growth, 1, bias=False)
        y = n.conv(n.relu(n.batchnorm(y)), growth, 3, bias=False)
        x = n.concat([x, y])
    x = n.conv(n.relu(n.batchnorm(x)), 24, 1, bias=False)
    return n, n.avgpool(x, 2, 2)


def fpn_topdown(rng, name="fpn_topdown", c=16, hw=24):
    """Feature pyramid over a 16-channel 24x24 map (the finest level, C3): two
    stride-2 stages (C4, C5), 1x1 laterals, top-down merge by nearest 2x
    (asymmetric, floor), bilinear 2x (half_pixel, given by sizes) and
    bilinear 4x (align_corners), a 3x3 smoothing conv and a ConvTranspose
    (4x4, stride 2) head."""
    n = Net(name, rng, (1, c, hw, hw))
    c3 = "input"                                   # 24x24
    c4 = n.relu(n.conv(c3, 24, 3, stride=2))       # 12x12
    c5 = n.relu(n.conv(c4, 32, 3, stride=2))       # 6x6
    p5 = n.conv(c5, 24, 1)
    p4 = n.binary("Add", n.conv(c4, 24, 1), n.resize(p5, 2, "nearest", "asymmetric", "floor"))
    p3 = n.binary("Add", n.conv(c3, 24, 1), n.resize(p4, 2, "linear", "half_pixel", by_sizes=True))
    p3 = n.binary("Add", p3, n.resize(p5, 4, "linear", "align_corners"))
    p3 = n.relu(n.conv(p3, 16, 3))
    return n, n.conv_transpose(p3, 8, 4, 2, 1)     # 48x48


def detect_head(rng, name="detect_head", c=8, hw=24):
    """YOLO-style head on an 8-channel 24x24 map: two stride-2 convs, a 1x1 +
    nearest 2x (Resize's defaults: half_pixel, round_prefer_floor) route
    concatenated with the 12x12 feature, a 3x3 conv and a 1x1 prediction conv
    (3 anchors x (4 box + 1 objectness + 2 classes)) ending in Sigmoid."""
    n = Net(name, rng, (1, c, hw, hw))
    c1 = n.relu(n.conv("input", 24, 3, stride=2))  # 12x12
    c2 = n.relu(n.conv(c1, 32, 3, stride=2))       # 6x6
    r = n.resize(n.relu(n.conv(c2, 16, 1)), 2, "nearest", "half_pixel")
    x = n.relu(n.conv(n.concat([r, c1]), 32, 3))
    return n, n.sigmoid(n.conv(x, 3 * 7, 1))


NETS = [mobile_se_hswish, silu_block, shuffle_unit, inception_block, dense_block, fpn_topdown, detect_head]

# The same kinds again with other widths and odd sizes (generic rules, not
# rules that happen to fit one shape): (function, name, keyword arguments).
VARIANTS = [
    (mobile_se_hswish, "mobile_se_hswish_b", dict(c=24, hw=15)),
    (silu_block, "silu_block_b", dict(c=24, hw=9)),
    (shuffle_unit, "shuffle_unit_b", dict(c=20, hw=14)),
    (inception_block, "inception_block_b", dict(c=40, hw=13, widths=(24, 16, 8, 12))),
    (dense_block, "dense_block_b", dict(c=12, hw=11, growth=12)),
    (fpn_topdown, "fpn_topdown_b", dict(c=12, hw=20)),
    (detect_head, "detect_head_b", dict(c=8, hw=28)),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=os.path.join(here, "..", "tests", "data", "nets"))
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    todo = [(f, f.__name__, {}) for f in NETS] + VARIANTS
    for k, (f, name, kw) in enumerate(todo):
        if only and name not in only:
            continue
        # one generator per network, so that regenerating one leaves the others as they are
        n, y = f(np.random.default_rng(a.seed * 1000 + k), name=name, **kw)
        n.write(a.out, y)


if __name__ == "__main__":
    main()
