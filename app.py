#!/usr/bin/env python3
"""CDK entry point: every pattern of the catalog, or those named with `-c patterns=<id>[,<id>]`."""

from refarch.cdk_app import build_app

build_app().synth()
