"""What SageMaker Model Monitor's data-quality container computes, in plain Python.

The local runner's baselining and monitoring jobs run this code, and the tests check it against
independent pandas/numpy calculations. No CDK and no AWS calls here: the runner reads the inputs
from the emulated S3 under the job's role and hands this package lines; it writes back what this
package returns.

- ``capture``: reads data-capture JSON Lines (and training data) as feature records, streamed,
  counting every line it cannot use with the reason.
- ``profile``: per-feature statistics in the ``statistics.json`` shape.
- ``constraints``: the suggested ``constraints.json`` of a baseline, and the checks of a window
  against it (``constraint_violations.json``).
- ``metrics``: the CloudWatch metrics the container publishes per feature.
"""
