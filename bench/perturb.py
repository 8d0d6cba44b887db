#!/usr/bin/python3
"""perturb.py - developer tool for bench/sensitivity.sh (never run by tests).

  perturb.py noise IN.pb OUT.pb SNR_DB SEED   write IN + gaussian noise at SNR_DB (float32)
  perturb.py sqnr REF.pb Y.pb                 print the SQNR of Y against REF in dB

Needs Debian's python3-onnx and python3-numpy (/usr/bin/python3)."""
import sys
import numpy as np
import onnx
from onnx import numpy_helper


def read(path):
    t = onnx.TensorProto()
    with open(path, 'rb') as f:
        t.ParseFromString(f.read())
    return t, numpy_helper.to_array(t).astype(np.float64)


def main(argv):
    if len(argv) == 6 and argv[1] == 'noise':
        t, x = read(argv[2])
        rng = np.random.default_rng(int(argv[5]))
        n = rng.standard_normal(x.shape)
        n *= np.sqrt((x ** 2).mean() / (n ** 2).mean()) * 10 ** (-float(argv[4]) / 20)
        with open(argv[3], 'wb') as f:
            f.write(numpy_helper.from_array((x + n).astype(np.float32), t.name).SerializeToString())
        return 0
    if len(argv) == 4 and argv[1] == 'sqnr':
        _, r = read(argv[2])
        _, y = read(argv[3])
        print('%.2f' % (10 * np.log10((r ** 2).sum() / max(((r - y) ** 2).sum(), 1e-300))))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
