"""A Step Functions interpreter for the Amazon States Language subset the stacks use.

moto 5.2.5 ships an ASL interpreter (``mock_aws(config={"stepfunctions":
{"execute_state_machine": True}})``), but its service calls are signed with fixed keys
(``moto/stepfunctions/parser/asl/utils/boto_client.py``: ``aws_access_key_id="ak"``), not with
the state machine's role, so under the runner's IAM enforcement every task would be rejected
(or, with enforcement off, prove nothing about the role), and it runs executions on threads
with real sleeps in ``Wait`` states. This interpreter runs the synthesized definition
step by step on a virtual clock; the runner (``refarch.local.sources.step_functions``) makes
each task's service call with a session of the state machine's role.

Modules: ``paths`` (JSONPath, payload templates, ResultPath), ``choice`` (Choice rules),
``errors`` (error names and matching), ``machine`` (states, Retry/Catch, callbacks).
"""
