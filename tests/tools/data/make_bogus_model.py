#!/usr/bin/python3
# Writes bogus.onnx: a small model that dlacc check must reject, with one
# problem of each kind (developer tool; the tests use the committed .onnx):
#   - an op type that exists nowhere (BogusOp), and one from an unknown domain;
#   - a Conv with an attribute ONNX does not define (frobnicate);
#   - an Add with one input (arity);
#   - a MatMul whose operand shapes do not match (found by shape inference);
#   - a node name that needs JSON escaping.
# Run: /usr/bin/python3 make_bogus_model.py  (needs python3-onnx)
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
w = numpy_helper.from_array(np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) / 100.0, "conv.w")
nodes = [
    helper.make_node("Conv", ["x", "conv.w"], ["c"], name="conv0", pads=[1, 1, 1, 1], frobnicate=1),
    helper.make_node("Relu", ["c"], ["r"], name="relu0"),
    helper.make_node("BogusOp", ["r"], ["b"], name="bogus0", flavour="strange"),
    helper.make_node("Thing", ["b"], ["t"], name='weird "name"\\', domain="com.example"),
    helper.make_node("Add", ["t"], ["y"], name="add_one_input"),
    helper.make_node("MatMul", ["x", "mm.w"], ["z"], name="matmul_bad"),
]
m = numpy_helper.from_array(np.ones((5, 2), dtype=np.float32), "mm.w")
graph = helper.make_graph(
    nodes, "bogus",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
    initializer=[w, m])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)],
                          producer_name="dlacc-tests")
onnx.save(model, os.path.join(here, "bogus.onnx"))
