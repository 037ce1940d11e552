"""The scikit-learn container as a fleet runs it locally: the artifact's own handlers.

A fleet loads ``code/inference.py`` from the version's ``model.tar.gz`` into a module of its
own and runs ``model_fn`` on the extracted model directory; one that cannot fails to start.
Each request goes through ``input_fn`` → ``predict_fn`` → ``output_fn``; the model's latency
is the injected ``pause`` (the inference clock), never a sleep.
"""

import io
import json
import sys
import tarfile

import pytest

from refarch.local.sources.model_server import (
    ContainerStartError,
    ModelRequestError,
    start_container,
)
from refarch.scenarios import approved_model_endpoint as scenario
from refarch.scenarios.model_artifacts import (
    CODE_FILE,
    MODEL_FILE,
    SERVING_ENVIRONMENT,
    model_artifact,
    tar_gz,
)
from refarch.scenarios.serving import inference_source


def _start(artifact, environment=SERVING_ENVIRONMENT, pause=None):
    return start_container(
        artifact, environment, package_arn="arn:pkg/1", pause=pause or (lambda _: None)
    )


def test_a_fleet_answers_with_the_artifacts_handlers_as_the_scenario_expects():
    loaded = _start(model_artifact(scenario.MODELS[2]))
    assert loaded.answer(scenario.REQUEST, "text/csv", None) == (scenario.score(2), "text/csv")
    assert loaded.version == "v2" and loaded.description == "churn v2"


def test_the_models_latency_is_the_injected_pause_and_nothing_leaks_into_sys():
    paused: list[float] = []
    modules, path = set(sys.modules), list(sys.path)
    loaded = _start(model_artifact({**scenario.MODELS[1], "latency_ms": 450}), pause=paused.append)
    loaded.answer("1,2,3", "text/csv", "text/csv")
    assert paused == [0.45]
    assert set(sys.modules) == modules and sys.path == path


def test_each_fleet_has_a_module_of_its_own():
    slow = _start(model_artifact({**scenario.MODELS[1], "latency_ms": 5}), pause=lambda _: None)
    paused: list[float] = []
    other = _start(model_artifact(scenario.MODELS[1]), pause=paused.append)
    assert slow.handlers is not other.handlers
    slow.answer("1,2,3", "text/csv", None)
    assert paused == []


def test_without_accept_the_environments_default_accept_answers():
    loaded = _start(model_artifact(scenario.MODELS[1]))
    assert loaded.answer("1,2,3", "text/csv", "*/*")[1] == "text/csv"
    # Without SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT the container asks for JSON, which this
    # model refuses.
    plain = {k: v for k, v in SERVING_ENVIRONMENT.items() if "ACCEPT" not in k}
    with pytest.raises(ModelRequestError, match="unsupported accept 'application/json'"):
        _start(model_artifact(scenario.MODELS[1]), plain).answer("1,2,3", "text/csv", None)


def test_a_malformed_request_is_a_model_error_with_the_handlers_reason():
    loaded = _start(model_artifact(scenario.MODELS[1]))
    with pytest.raises(ModelRequestError, match="RequestError: row 1: 'x' is not a number"):
        loaded.answer("x,1,2", "text/csv", None)


@pytest.mark.parametrize(
    ("artifact", "environment", "reason"),
    [
        (
            tar_gz({MODEL_FILE: json.dumps(scenario.MODELS[1]).encode()}),
            SERVING_ENVIRONMENT,
            "has no code/inference.py",
        ),
        (model_artifact(scenario.MODELS[1]), {}, "names no SAGEMAKER_PROGRAM"),
        (
            model_artifact(scenario.MODELS[1]),
            {**SERVING_ENVIRONMENT, "SAGEMAKER_SUBMIT_DIRECTORY": "/usr/lib"},
            "is not in /opt/ml/model",
        ),
        (
            tar_gz({MODEL_FILE: b'{"weights": []}', CODE_FILE: inference_source()}),
            SERVING_ENVIRONMENT,
            "ValueError: model.json: weights must be a non-empty list",
        ),
        (
            tar_gz({CODE_FILE: inference_source()}),
            SERVING_ENVIRONMENT,
            "FileNotFoundError",
        ),
        (
            tar_gz({MODEL_FILE: b"{}", CODE_FILE: b"def model_fn(:\n"}),
            SERVING_ENVIRONMENT,
            "SyntaxError",
        ),
        (
            tar_gz({"../outside": b"x", CODE_FILE: inference_source()}),
            SERVING_ENVIRONMENT,
            "cannot be extracted",
        ),
        (b"not a tarball", SERVING_ENVIRONMENT, "cannot be extracted"),
    ],
)
def test_a_container_that_cannot_load_its_model_does_not_start(artifact, environment, reason):
    with pytest.raises(ContainerStartError, match=reason):
        _start(artifact, environment)


def _with_link() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("code/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


@pytest.mark.parametrize("has_data_filter", [True, False])
def test_extraction_refuses_paths_out_and_links_with_or_without_tars_data_filter(
    monkeypatch, has_data_filter
):
    # Python before 3.11.4 has no extraction filter: the container refuses the same members.
    if not has_data_filter:
        monkeypatch.delattr(tarfile, "data_filter")
    for artifact in (tar_gz({"../outside": b"x", CODE_FILE: inference_source()}), _with_link()):
        with pytest.raises(ContainerStartError, match="cannot be extracted"):
            _start(artifact)
    loaded = _start(model_artifact(scenario.MODELS[1]))
    assert loaded.version == "v1"
