"""Handlers run in-process but isolated: their own modules, variables, credentials and output."""

import io
import os
import sys
import zipfile

import boto3

from refarch.local.lambda_runtime.execution_environment import ExecutionEnvironment
from refarch.local.lambda_runtime.layers import compatibility_warnings, identify_layer


def _package(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in files.items():
            package.writestr(name, text)
    return buffer.getvalue()


def _environment(tmp_path, name, files, variables=None):
    session = boto3.Session(
        aws_access_key_id=f"ASIA{name.upper()}",
        aws_secret_access_key="secret",
        aws_session_token="token",
        region_name="us-east-1",
    )
    environment = ExecutionEnvironment(
        function_name=name,
        handler="handler.lambda_handler",
        code=_package(files),
        variables=variables or {},
        session=session,
        workdir=tmp_path,
    )
    environment.initialize()
    return environment


HANDLER = """
import os
import boto3
from helper import NAME

def lambda_handler(event, context):
    print("hello from", NAME)
    credentials = boto3.DEFAULT_SESSION.get_credentials()
    return {"name": NAME, "key": credentials.access_key, "color": os.environ.get("COLOR")}
"""


def test_two_functions_with_a_handler_py_do_not_collide(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "helper", "a module the test process already had")
    first = _environment(
        tmp_path, "first", {"handler.py": HANDLER, "helper.py": "NAME = 'first'"}, {"COLOR": "red"}
    )
    second = _environment(
        tmp_path, "second", {"handler.py": HANDLER, "helper.py": "NAME = 'second'"}
    )

    assert first.run({}, None, {}) == (
        {"name": "first", "key": "ASIAFIRST", "color": "red"},
        None,
    )
    assert second.run({}, None, {}) == (
        {"name": "second", "key": "ASIASECOND", "color": None},
        None,
    )
    assert first.take_output() == ["hello from first"]
    assert second.take_output() == ["hello from second"]
    # Nothing leaks into the test process: its own "helper" is back, no "handler" module.
    assert sys.modules["helper"] == "a module the test process already had"
    assert "handler" not in sys.modules
    assert "COLOR" not in os.environ


def test_a_handler_error_is_reported_like_lambda(tmp_path):
    failing = _environment(
        tmp_path,
        "failing",
        {"handler.py": "def lambda_handler(event, context):\n    raise KeyError('Records')\n"},
    )
    result, error = failing.run({}, None, {})
    assert result is None
    assert error.error_type == "KeyError"
    assert "Records" in error.message
    assert error.stack_trace


def test_layers_are_recognised_and_checked_against_the_architecture():
    powertools = identify_layer(
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:27"
    )
    insights = identify_layer(
        "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20"
    )
    assert identify_layer("arn:aws:lambda:us-east-1:111111111111:layer:Mystery:1") is None
    assert insights.layer.is_insights_extension
    warnings = compatibility_warnings(
        [powertools, insights], runtime="python3.13", architecture="arm64"
    )
    assert len(warnings) == 1
    assert "built for x86_64" in warnings[0]
