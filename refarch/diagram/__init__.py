"""Architecture diagrams drawn from a pattern's synthesized CloudFormation template.

The diagram is derived, never drawn by hand: it shows what `cdk synth` produced, so it cannot
drift from the stack. Nodes are the resources a reader cares about (buckets, functions, queues,
topics, alarms, streams, ...); plumbing (IAM, resource policies, Lambda permissions, CDK's
custom-resource providers) is hidden. Edges come from the template's own wiring:

- S3 notification configuration: bucket -> destination, labelled with the events and the
  prefix/suffix filter (``Custom::S3BucketNotifications`` or the bucket's own property);
- a function's environment variable referencing a resource: function -> resource, labelled
  "writes" or "reads" from the function role's IAM statements on that resource;
- ``DeadLetterConfig`` and on-failure destinations: function -> queue "on failure", with the
  retry settings of its ``EventInvokeConfig``;
- an alarm's ``AlarmActions``/``OKActions`` (alarm -> topic) and its metric's dimensions
  (alarm -> the watched resource);
- S3 server access logging: bucket -> log bucket; a function's log group; a topic's KMS key.
- Firehose: source stream -> delivery stream -> destination bucket (the data flow), delivery
  stream <-> its transform Lambda (a synchronous call, with its buffer and retries), its Glue
  schema table and error log group; a stream's enhanced fan-out consumers and KMS key.
- Glue: a job's arguments naming buckets and tables (bucket -> job -> bucket for the data,
  labelled from the job role's IAM statements; job -> table for the catalog update); a
  crawler's S3 targets and database; workflow triggers (schedule -> crawler -> condition ->
  job); security configurations and the log groups Glue names after a job's or crawler's role.
- EventBridge rules: rule -> what its event pattern names ("watches"), -> its targets, and
  -> its dead-letter queue. An Athena workgroup -> the bucket of its query results.

The modules, in the order the data moves through them: `model` (how each resource type is
drawn), `template` (reading the template), `nodes`, `edges`, `layout` (which group each node
belongs to: data path, control path, observability), `alarms` (every alarm folded into one
listed node), `dot` (the DOT text), `icons` (AWS's service icons), `render` (SVG) and `files`
(what `refarch diagram` writes and the staleness test compares). `diagram_dot` is a pure
function of the template, and its output is sorted, so regenerating an unchanged stack rewrites
an identical file; the SVG drops Graphviz's version comment and inlines its icons, so it names no
file of the machine that drew it.

Why a renderer of our own: the diagram's value is the wiring read from the template (S3
notification filters, IAM-derived read/write labels, retry settings, runtime-created resources),
which neither the ``diagrams`` library (a drawing API on top of Graphviz: its nodes get random
ids, so its output differs on every run, and it links icon files by absolute path) nor cdk-dia
(construct-tree dependencies, PNG only, IAM roles drawn, no labels) derives; both still need
Graphviz. This package uses Graphviz directly and AWS's icons.
"""

from refarch.diagram.dot import diagram_dot
from refarch.diagram.edges import diagram_edges
from refarch.diagram.model import Edge, Kind, Node
from refarch.diagram.nodes import diagram_nodes
from refarch.diagram.render import render_svg
from refarch.diagram.template import readable_name

__all__ = [
    "Edge",
    "Kind",
    "Node",
    "diagram_dot",
    "diagram_edges",
    "diagram_nodes",
    "readable_name",
    "render_svg",
]
