"""The generic grouping of a template's resources into data path, control path and observability.

Hand-made templates with wiring no catalog pattern has yet: a pattern that adds it gets a
diagram that reads right without code of its own.
"""

from refarch.diagram import diagram_dot, diagram_edges
from refarch.diagram.layout import CONTROL, DATA, OBSERVABILITY, classify
from refarch.diagram.nodes import diagram_nodes


def _groups(template):
    return dict(classify(diagram_nodes(template), diagram_edges(template)).of)


def _edges(template):
    return {(e.source, e.target): (e.label, e.kind) for e in diagram_edges(template)}


ROUTED = {
    "Resources": {
        "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Work": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
        "Route": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [{"Ref": "Uploads"}]}},
                },
                "Targets": [
                    {
                        "Arn": {"Fn::GetAtt": ["Work", "Arn"]},
                        "Id": "queue",
                        "SqsParameters": {"MessageGroupId": "orders"},
                    }
                ],
            },
        },
    }
}


def test_a_rule_that_routes_events_onto_a_queue_is_on_the_data_path():
    edges = _edges(ROUTED)
    assert edges["Uploads", "Route"] == ("emits events", "data")
    assert edges["Route", "Work"] == ("sends events\n(message group orders)", "data")
    assert ("Route", "Uploads") not in edges  # not "watches": the bucket is the data's source
    assert _groups(ROUTED) == {"Uploads": DATA, "Route": DATA, "Work": DATA}
    dot = diagram_dot(ROUTED, "routed")
    assert '"producer:Uploads" -> "Uploads"' in dot  # uploads come from outside the stack


ORCHESTRATED = {
    "Resources": {
        "Approved": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {"source": ["aws.sagemaker"]},
                "Targets": [
                    {
                        "Arn": {"Ref": "Workflow"},
                        "Id": "workflow",
                        "RetryPolicy": {"MaximumRetryAttempts": 3},
                    },
                    {"Arn": {"Ref": "Alarms"}, "Id": "people"},
                ],
            },
        },
        "Workflow": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": {
                    "Fn::Join": [
                        "",
                        [
                            '{"States":{"Deploy":{"Resource":"',
                            {"Fn::GetAtt": ["Deployer", "Arn"]},
                            '"},"Ask":{"TopicArn":"',
                            {"Ref": "Approvals"},
                            '"}}}',
                        ],
                    ]
                },
                "LoggingConfiguration": {
                    "Destinations": [
                        {
                            "CloudWatchLogsLogGroup": {
                                "LogGroupArn": {"Fn::GetAtt": ["WorkflowLogs", "Arn"]}
                            }
                        }
                    ]
                },
            },
        },
        "WorkflowLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "Deployer": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13"}},
        "Approvals": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Alarms": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Errors": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Deployer"}}],
                "AlarmActions": [{"Ref": "Alarms"}],
            },
        },
    }
}


def test_a_state_machine_a_rule_starts_is_control_with_what_it_invokes_and_publishes_to():
    edges = _edges(ORCHESTRATED)
    assert edges["Approved", "Workflow"] == ("starts\n(3 retries)", "control")
    assert edges["Workflow", "Deployer"] == ("invokes", "control")
    assert edges["Workflow", "Approvals"] == ("publishes", "control")
    assert edges["Workflow", "WorkflowLogs"] == ("logs", "support")
    assert _groups(ORCHESTRATED) == {
        "Approved": CONTROL,
        "Workflow": CONTROL,
        "Deployer": CONTROL,
        "Approvals": CONTROL,
        "Alarms": OBSERVABILITY,  # alarms notify it
        "Errors": OBSERVABILITY,
        "WorkflowLogs": OBSERVABILITY,
    }
    dot = diagram_dot(ORCHESTRATED, "orchestrated")
    assert "<b>1 CloudWatch alarm</b>" in dot
    assert 'src="AWSStepFunctions.svg"' in dot


def test_a_type_whose_wiring_is_not_read_still_points_at_what_it_references():
    template = {
        "Resources": {
            "Reports": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Check": {
                "Type": "AWS::SageMaker::DataQualityJobDefinition",
                "Properties": {
                    "DataQualityJobOutputConfig": {
                        "MonitoringOutputs": [
                            {"S3Output": {"S3Uri": {"Fn::Sub": "s3://${Reports}/monitoring"}}}
                        ]
                    }
                },
            },
        }
    }
    assert _edges(template)["Check", "Reports"] == ("uses", "support")
