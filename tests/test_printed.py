"""printed: numbers as numpy, Python and torch print them (the seed's sections 5 and 6)."""

from __future__ import annotations

import pytest

from reportgen.importers.printed import PrintedValueError, as_matrix, as_vector, parse_printed


def test_numpy_matrix() -> None:
    assert parse_printed("[[0.855  0.8516]\n [0.874  0.8555]]") == [[0.855, 0.8516], [0.874, 0.8555]]


def test_numpy_3d_squeezed_to_matrix() -> None:
    v = parse_printed("[[[0.3372504  0.20507807]\n [0.22591081  0.38495794]]]")
    assert as_matrix(v) == [[0.3372504, 0.20507807], [0.22591081, 0.38495794]]


def test_python_lists_and_scalars() -> None:
    assert parse_printed("[-5.65234375]") == [-5.65234375]
    assert as_vector(parse_printed("[-8.171875, 5.26171875]")) == [-8.171875, 5.26171875]
    assert as_vector(parse_printed("[0.00027803096387751553, 0.9948403768236574]")) == [0.00027803096387751553, 0.9948403768236574]
    assert parse_printed("0.003497010252573502") == 0.003497010252573502
    assert as_vector(parse_printed("-5.65234375")) == [-5.65234375]


def test_torch_tensor() -> None:
    assert parse_printed("tensor([-8.1838,  5.2650])") == [-8.1838, 5.265]
    assert parse_printed("tensor([[1.0000e+00, -2.5e-03]], device='cuda:0', dtype=torch.float16)") == [[1.0, -0.0025]]
    assert parse_printed("array([1., 2.])") == [1.0, 2.0]


def test_special_values() -> None:
    v = parse_printed("[nan inf -inf]")
    assert v[1] == float("inf") and v[2] == float("-inf") and v[0] != v[0]


@pytest.mark.parametrize("bad", ["", "[1, 2", "1 2", "[1, x]", "]"])
def test_rejects(bad: str) -> None:
    with pytest.raises(PrintedValueError):
        parse_printed(bad)


def test_shape_errors() -> None:
    with pytest.raises(PrintedValueError):
        as_matrix([[1.0, 2.0], [3.0]])
    with pytest.raises(PrintedValueError):
        as_vector([[1.0, 2.0], [3.0, 4.0]])
