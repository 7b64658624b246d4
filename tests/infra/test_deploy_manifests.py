"""docker-compose.yml and infra/k8s, checked offline (there is no Docker engine or cluster)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import nginx_conf
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.30"

KEDA_SCALEDOBJECT_SPEC = {
    "scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod",
    "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "fallback", "advanced",
    "triggers",
}  # fmt: skip
"""Fields of a KEDA ScaledObject's spec (keda.sh/docs/2.x/reference/scaledobject-spec)."""

KEDA_PROMETHEUS_METADATA = {
    "serverAddress", "query", "threshold", "activationThreshold", "namespace",
    "customHeaders", "ignoreNullValues", "queryParameters", "unsafeSsl", "authModes",
}  # fmt: skip
"""Fields of KEDA's prometheus scaler metadata (keda.sh/docs/2.x/scalers/prometheus)."""


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((str(path.relative_to(K8S)), document))
    return found


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [document for _, document in manifests() if document["kind"] == kind]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def test_compose_depends_on_only_defined_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def test_compose_builds_use_existing_dockerfiles(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).is_file(), name


def test_compose_bind_mounts_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), source


@pytest.mark.parametrize("secret", ["POSTGRES_PASSWORD", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY"])
def test_compose_requires_secrets(secret: str) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
    assert uses and all(use.startswith(":?") for use in uses)


def test_compose_redis_keeps_an_append_only_file(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_compose_worker_can_scale(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_compose_services_wait_for_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("user-service", "job-api", "worker"):
        conditions = {dep["condition"] for dep in services[name]["depends_on"].values()}
        assert conditions == {"service_completed_successfully"}, name


def test_compose_gateway_fills_every_template_variable(compose: dict[str, Any]) -> None:
    used = set(re.findall(r"\$\{([A-Z_]+)\}", nginx_conf.TEMPLATE.read_text()))
    assert used <= set(compose["services"]["gateway"]["environment"])


@pytest.mark.parametrize(
    ("source", "document"),
    [
        pytest.param(s, d, id=f"{s}:{d['kind']}/{d['metadata']['name']}")
        for s, d in manifests()
        # KEDA's CRDs have no schema in kubernetes-validate: the ScaledObject tests below
        # check them against KEDA's documented fields instead.
        if not d["apiVersion"].startswith("keda.sh/")
    ],
)
def test_manifest_is_valid_kubernetes(source: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_top_level_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files


def test_scaledobject_uses_only_keda_fields() -> None:
    (scaled,) = by_kind("ScaledObject")
    assert set(scaled["spec"]) <= KEDA_SCALEDOBJECT_SPEC
    for trigger in scaled["spec"]["triggers"]:
        assert trigger["type"] == "prometheus"
        assert set(trigger["metadata"]) <= KEDA_PROMETHEUS_METADATA
        assert "conveyor_jobs" in trigger["metadata"]["query"]
        assert all(isinstance(value, str) for value in trigger["metadata"].values())


def test_scaledobject_targets_the_worker_deployment() -> None:
    (scaled,) = by_kind("ScaledObject")
    deployments = {d["metadata"]["name"] for d in by_kind("Deployment")}
    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker" in deployments


def test_secret_references_name_one_secret() -> None:
    text = "\n".join(path.read_text() for path in K8S.rglob("*.yaml"))
    names = set(re.findall(r"secretKeyRef: \{name: ([\w-]+)", text))
    assert names == {"conveyor-secrets"}


def test_compose_and_k8s_serve_the_dashboard_built_into_the_gateway_image(
    compose: dict[str, Any],
) -> None:
    dockerfile = (ROOT / "infra" / "docker" / "gateway.Dockerfile").read_text()
    assert "npm ci" in dockerfile and "npm run build" in dockerfile
    copied = re.search(r"^COPY --from=dashboard /dashboard/dist/ (\S+?)/?$", dockerfile, re.M)
    assert copied, "the gateway image copies no built dashboard"
    gateway = compose["services"]["gateway"]
    assert gateway["build"]["dockerfile"] == "infra/docker/gateway.Dockerfile"
    (deployment,) = [d for d in by_kind("Deployment") if d["metadata"]["name"] == "gateway"]
    (nginx,) = deployment["spec"]["template"]["spec"]["containers"]
    assert nginx["image"].split(":")[0] == gateway["image"]
    k8s_env = {item["name"]: item["value"] for item in nginx["env"]}
    assert gateway["environment"]["DASHBOARD_ROOT"] == k8s_env["DASHBOARD_ROOT"] == copied[1]
