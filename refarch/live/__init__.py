"""``refarch verify <id> --live``: a pattern's scenario against the stack deployed in an account.

The pieces, in the order a run uses them (``verify.verify_live`` ties them together):

- ``plans``: what a run creates, costs and takes, per converted pattern (from its guide).
- ``account``: the caller's session (and, in tests, the endpoint standing in for AWS).
- ``bootstrap``: refuse an account/region ``cdk bootstrap`` has not prepared, saying how.
- ``cdk``: ``cdk deploy``/``cdk destroy`` of the one stack with the pinned CDK CLI, tagged with
  the run id, and the deployed resources read back from CloudFormation.
- ``target``: the ``LiveTarget`` the scenario (``refarch.scenarios``) drives.
- ``cleanup``: after ``cdk destroy``, delete whatever still carries the run's tag, and only that.
"""
