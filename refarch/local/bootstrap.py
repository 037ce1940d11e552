"""What ``cdk bootstrap`` and the asset-publishing step of ``cdk deploy`` do, in the emulator.

Bootstrap: the staging bucket ``cdk-<qualifier>-assets-<account>-<region>`` (versioned,
encrypted, public access blocked) and the SSM parameter holding the bootstrap version, which the
template's ``BootstrapVersion`` parameter and ``CheckBootstrapVersion`` rule read.

Publishing: every file asset of the stack's asset manifest is uploaded to its destination; a
directory is zipped the way cdk-assets zips it (entries sorted, timestamps fixed), a file is
uploaded as it is. Docker image assets have no local equivalent and fail loudly.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refarch.local.assembly import CloudAssembly
from refarch.local.errors import DeployError
from refarch.local.trace import size

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator

#: The bootstrap template version the emulator reports; the CDK CLI pinned here expects >= 6.
BOOTSTRAP_VERSION = 28
#: cdk-assets zips with this fixed timestamp so the same directory gives the same archive.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PLACEHOLDER = re.compile(r"\$\{AWS::(AccountId|Region|Partition)\}")


@dataclass(frozen=True)
class PublishedAsset:
    """One asset uploaded to the staging bucket."""

    display_name: str
    bucket: str
    key: str
    size: int


def _substitute(text: str, emulator: Emulator) -> str:
    values = {
        "AccountId": emulator.account_id,
        "Region": emulator.region,
        "Partition": emulator.partition,
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def zip_directory(directory: Path) -> bytes:
    """Zip a directory like cdk-assets: relative paths, sorted, fixed dates, files only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=_ZIP_DATE)
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def bootstrap(emulator: Emulator, assembly: CloudAssembly) -> None:
    """Create the staging buckets and the version parameter, once per emulator."""
    s3 = emulator.client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    buckets = {
        _substitute(destination["bucketName"], emulator)
        for asset in assembly.assets.get("files", {}).values()
        for destination in asset["destinations"].values()
    }
    for bucket in sorted(buckets - existing):
        create = {"Bucket": bucket}
        if emulator.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": emulator.region}
        s3.create_bucket(**create)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        )
        emulator.trace.line(f"bootstrap: staging bucket {bucket}")
    parameter = assembly.bootstrap_version_parameter
    if parameter:
        emulator.client("ssm").put_parameter(
            Name=parameter, Value=str(BOOTSTRAP_VERSION), Type="String", Overwrite=True
        )
        if assembly.required_bootstrap_version > BOOTSTRAP_VERSION:
            raise DeployError(
                f"the assets need bootstrap version {assembly.required_bootstrap_version}"
            )


def publish_assets(emulator: Emulator, assembly: CloudAssembly) -> list[PublishedAsset]:
    """Upload every file asset to its destination, as ``cdk deploy`` does before the stack.

    Raises:
        DeployError: The stack has Docker image assets, or an asset needs an executable to build.
    """
    if assembly.assets.get("dockerImages"):
        names = ", ".join(assembly.assets["dockerImages"])
        raise DeployError(f"Docker image assets cannot be published locally: {names}")
    s3 = emulator.client("s3")
    published = []
    for asset_hash, asset in assembly.assets.get("files", {}).items():
        source = asset["source"]
        if "path" not in source:
            raise DeployError(f"asset {asset_hash} is built by an executable: not supported")
        path = assembly.directory / source["path"]
        packaging = source.get("packaging", "file")
        body = zip_directory(path) if packaging == "zip" and path.is_dir() else path.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _substitute(destination["bucketName"], emulator)
            key = _substitute(destination["objectKey"], emulator)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            item = PublishedAsset(asset.get("displayName", asset_hash), bucket, key, len(body))
            published.append(item)
            emulator.trace.line(
                f"published {item.display_name} → s3://{bucket}/{key} ({size(item.size)})"
            )
    return published
