"""The churn model's handlers (``inference.py``): what SageMaker's scikit-learn container runs.

Any request body either answers one score per row, each in [0, 1] and written ``%.4f``, or
raises ``RequestError`` (a ``ModelError`` for the client) with its reason; nothing else escapes.
The handlers are loaded from the file's bytes, as the container and the emulator load them.
"""

import ast
import glob
import json
import math
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refarch.scenarios.serving import inference_source, load_handlers

MODEL = {"name": "churn", "version": "v1", "weights": [0.01, 0.02, 0.3], "bias": -2.0}
pauses: list[float] = []
handlers = load_handlers(inference_source(), pause=pauses.append)


def serve(body, content_type="text/csv", accept="text/csv", model=MODEL):
    loaded = handlers.parse_model(model)
    return handlers.output_fn(
        handlers.predict_fn(handlers.input_fn(body, content_type), loaded), accept
    )


def test_one_row_answers_the_logistic_score_formatted_to_four_places():
    total = -2.0 + 0.01 * 12 + 0.02 * 70.5 + 0.3 * 1
    assert serve("12,70.5,1") == (f"{1 / (1 + math.exp(-total)):.4f}", "text/csv")
    assert serve(b"12,70.5,1\n") == serve("12,70.5,1")


def test_several_rows_answer_one_score_per_line():
    answer, _ = serve("12,70.5,1\n0,0,0\n")
    assert answer.splitlines() == [serve("12,70.5,1")[0], serve("0,0,0")[0]]


def test_the_model_pauses_its_latency_once_per_request():
    pauses.clear()
    serve("1,2,3\n4,5,6", model={**MODEL, "latency_ms": 450})
    assert pauses == [0.45]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("", "text/csv", "empty request"),
        ("12,seventy,1", "text/csv", "'seventy' is not a number"),
        ("12,nan,1", "text/csv", "is not a finite number"),
        ("12,70.5", "text/csv", "has 2 features; the model reads 3"),
        (b"\xff\xfe1,2,3", "text/csv", "not UTF-8"),
        ('{"features": [1, 2, 3]}', "application/json", "unsupported content type"),
    ],
)
def test_a_malformed_request_is_refused_with_its_reason(body, content_type, reason):
    with pytest.raises(handlers.RequestError, match=reason):
        serve(body, content_type)


def test_features_whose_terms_overflow_both_ways_are_refused():
    with pytest.raises(handlers.RequestError, match="overflow the score"):
        serve("1e308,-1e308,0", model={**MODEL, "weights": [1e10, 1e10, 1.0]})
    # One way only, the score saturates: the answer is still a score.
    assert serve("1e308,1e308,0", model={**MODEL, "weights": [1e10, 1e10, 1.0]})[0] == "1.0000"


def test_an_answer_the_client_cannot_accept_is_refused():
    with pytest.raises(handlers.RequestError, match="unsupported accept"):
        serve("1,2,3", accept="application/json")
    assert serve("1,2,3", accept="*/*")[1] == "text/csv"


@pytest.mark.parametrize(
    "document",
    [[], {"weights": []}, {"weights": ["a"]}, {"weights": [1.0], "latency_ms": -1}],
)
def test_model_fn_refuses_a_model_json_that_is_not_a_model(tmp_path, document):
    (tmp_path / "model.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=r"model\.json"):
        handlers.model_fn(str(tmp_path))


def test_model_fn_loads_model_json_from_the_model_directory(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps(MODEL))
    assert handlers.model_fn(str(tmp_path))["weights"] == [0.01, 0.02, 0.3]


def _answered_or_refused(body, content_type="text/csv"):
    try:
        answer, answered_type = serve(body, content_type)
    except handlers.RequestError as exc:
        assert str(exc)
        return None
    assert answered_type == "text/csv"
    for line in answer.splitlines():
        assert len(line) == 6 and line[1] == "."  # "%.4f" of a number in [0, 1]
        assert 0.0 <= float(line) <= 1.0
    return answer


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_any_body_is_answered_or_refused_with_the_documented_error(body):
    _answered_or_refused(body)


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(numbers, min_size=1, max_size=5), min_size=1, max_size=5))
def test_any_rows_of_numbers_are_answered_or_refused(rows):
    body = "\n".join(",".join(repr(x) if isinstance(x, float) else str(x) for x in r) for r in rows)
    answer = _answered_or_refused(body)
    well_formed = all(len(r) == 3 and all(math.isfinite(float(x)) for x in r) for r in rows)
    if well_formed and answer is not None:
        assert len(answer.splitlines()) == len(rows)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3))
def test_a_row_of_three_finite_features_always_answers(row):
    assert _answered_or_refused(",".join(map(repr, row))) is not None


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=30))
def test_any_content_type_but_csv_is_refused(content_type):
    if content_type.split(";")[0].strip().lower() == "text/csv":
        return
    with pytest.raises(handlers.RequestError, match="unsupported content type"):
        serve("1,2,3", content_type)


weights = st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3)


@settings(max_examples=200, deadline=None)
@given(weights, st.floats(allow_nan=False, allow_infinity=False), st.lists(numbers, max_size=4))
def test_any_model_and_row_are_answered_or_refused(model_weights, bias, row):
    model = {**MODEL, "weights": model_weights, "bias": bias}
    body = ",".join(repr(x) if isinstance(x, float) else str(x) for x in row)
    try:
        answer, _ = serve(body, model=model)
    except handlers.RequestError:
        return
    assert 0.0 <= float(answer) <= 1.0


#: The container's interpreter (its Dockerfile pins PYTHON_VERSION=3.9).
CONTAINER_PYTHON = (3, 9)
SMOKE = """
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[1])
import inference
inference.pause = lambda seconds: None
with tempfile.TemporaryDirectory() as model_dir:
    with open(os.path.join(model_dir, "model.json"), "w") as file:
        json.dump({"weights": [0.01, 0.02, 0.3], "bias": -2.0, "latency_ms": 5}, file)
    model = inference.model_fn(model_dir)
    rows = inference.input_fn(b"1,2,3\\n4,5,6", "text/csv")
    print(inference.output_fn(inference.predict_fn(rows, model), "*/*")[0])
    try:
        inference.input_fn("1,x,3", "text/csv")
    except inference.RequestError as error:
        print("refused:", error)
"""


def test_the_handlers_are_python_3_9_syntax():
    ast.parse(inference_source(), feature_version=CONTAINER_PYTHON)


def _container_python() -> str | None:
    """A Python 3.9 that runs here: on PATH, or one pyenv installed (its shim may not be on)."""
    candidates = [shutil.which("python3.9"), *glob.glob(os.path.expanduser(PYENV_PYTHON39))]
    for candidate in filter(None, candidates):
        probe = [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 9))"]
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.stdout.strip() == "True":
            return candidate
    return None


PYENV_PYTHON39 = "~/.pyenv/versions/3.9*/bin/python3.9"
CONTAINER_INTERPRETER = _container_python()


@pytest.mark.skipif(CONTAINER_INTERPRETER is None, reason="no Python 3.9 here to run them on")
def test_the_handlers_run_on_the_containers_python(tmp_path):
    # Syntax is not enough: `isinstance(x, int | float)` and `zip(strict=True)` parse on 3.9 and
    # raise when they run.
    (tmp_path / "inference.py").write_bytes(inference_source())
    done = subprocess.run(
        [CONTAINER_INTERPRETER, "-I", "-c", SMOKE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = serve("1,2,3\n4,5,6", model={"weights": [0.01, 0.02, 0.3], "bias": -2.0})[0]
    assert done.stdout.splitlines() == [
        *expected.splitlines(),
        "refused: row 1: 'x' is not a number",
    ]
