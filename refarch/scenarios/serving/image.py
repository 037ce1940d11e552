"""The image a model version runs on: SageMaker's prebuilt scikit-learn inference container.

The container runs each artifact's ``code/inference.py`` (``refarch.scenarios.serving``). Its
images live in a SageMaker account per region
(https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/ecr-us-east-1.html#sklearn-us-east-1
and the other regions' pages; the SageMaker Python SDK's table,
https://github.com/aws/sagemaker-python-sdk/blob/master/src/sagemaker/image_uri_config/sklearn.json).
A live run copies it into the stack's repository (``refarch.live.serving_image``); a version
that is never deployed may name it where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The prebuilt scikit-learn container: repository and tag (framework 1.2-1, CPU, Python 3).
SKLEARN_REPOSITORY = "sagemaker-scikit-learn"
SKLEARN_TAG = "1.2-1-cpu-py3"
#: The account holding SageMaker's scikit-learn images in each commercial region.
SKLEARN_REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


@dataclass(frozen=True)
class SourceImage:
    """An image to copy: its registry (account), repository and tag."""

    registry: str
    repository: str
    tag: str

    @property
    def name(self) -> str:
        """How the trace names it (``<registry>/<repository>:<tag>``, the region omitted)."""
        return f"{self.registry}/{self.repository}:{self.tag}"

    def uri(self, region: str) -> str:
        """The image's URI in ``region`` (``<registry>.dkr.ecr.<region>.amazonaws.com/...``)."""
        return f"{self.registry}.dkr.ecr.{region}.amazonaws.com/{self.repository}:{self.tag}"


def sklearn_image(region: str) -> SourceImage:
    """SageMaker's scikit-learn inference image in ``region``.

    Raises:
        ValueError: The region has no scikit-learn image in the table.
    """
    registry = SKLEARN_REGISTRIES.get(region)
    if registry is None:
        raise ValueError(
            f"no SageMaker scikit-learn image is listed for {region}: "
            f"regions listed: {', '.join(sorted(SKLEARN_REGISTRIES))}"
        )
    return SourceImage(registry, SKLEARN_REPOSITORY, SKLEARN_TAG)
