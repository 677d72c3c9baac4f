"""deploy/ as written: every manifest valid against the Kubernetes API schema, and in step with the Dockerfile.

Schemas come with `kubernetes-validate` (offline). The image's entrypoint, user, config path and
volume paths are read from the Dockerfile, so a change there that the manifests or the docker
examples do not follow fails here.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml

from connector.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
KUBE = ROOT / "deploy" / "kubernetes"
DOCKER = ROOT / "deploy" / "docker"
# podFailurePolicy is GA from 1.31; check that release and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.31", kubernetes_validate.latest_version())


def _dockerfile() -> dict[str, Any]:
    """What the final stage of the Dockerfile sets: user, entrypoint, cmd, env, volumes; and the stage count."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    stages = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    final = lines[stages[-1] :]
    out: dict[str, Any] = {"stages": len(stages), "env": {}, "volumes": []}
    for line in final:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "USER":
            out["user"] = rest.strip()
        elif word in ("ENTRYPOINT", "CMD"):
            out[word.lower()] = json.loads(rest)
        elif word == "ENV":
            out["env"].update(dict(pair.split("=", 1) for pair in shlex.split(rest)))
        elif word == "VOLUME":
            out["volumes"] += json.loads(rest)
    return out


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object in deploy/kubernetes by file name (one object per file)."""
    out = {}
    for path in sorted(KUBE.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        (doc,) = _documents(path)
        out[path.name] = doc
    return out


IMAGE = _dockerfile()
MANIFESTS = _manifests()
POD_SPECS = {
    "cronjob.yaml": MANIFESTS["cronjob.yaml"]["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    "backfill-job.yaml": MANIFESTS["backfill-job.yaml"]["spec"]["template"]["spec"],
    "setup-job.yaml": MANIFESTS["setup-job.yaml"]["spec"]["template"]["spec"],
}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_every_manifest_is_valid_against_the_kubernetes_schema(name: str, version: str) -> None:
    """Strict validation: a misspelt or misplaced field fails, as `kubectl apply` would refuse it."""
    kubernetes_validate.validate(MANIFESTS[name], version, strict=True)


def test_the_kustomization_ties_the_manifests_together() -> None:
    """`kubectl apply -k` applies config, volume and CronJob; the Secret template and the one-off Jobs stay out."""
    (kustomization,) = _documents(KUBE / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert sorted(resources) == sorted(set(MANIFESTS) - {"secret.example.yaml", "backfill-job.yaml", "setup-job.yaml"})
    assert all((KUBE / r).is_file() for r in resources)
    images = {i["name"] for i in kustomization["images"]}
    for spec in POD_SPECS.values():
        (container,) = spec["containers"]
        assert container["image"].split(":")[0] in images


def test_the_image_is_multi_stage_non_root_and_runs_the_connector() -> None:
    """The Dockerfile the manifests rely on: two stages, a numeric non-root user, `nps-connector sync`."""
    assert IMAGE["stages"] >= 2
    uid, _, gid = IMAGE["user"].partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid.isdigit()
    assert int(gid) != 0
    assert IMAGE["entrypoint"] == ["nps-connector"]
    assert IMAGE["cmd"] == ["sync"]


def test_the_cronjob_runs_once_at_a_time_with_limits_and_a_locked_down_pod() -> None:
    """Forbid, deadlines, retries, requests and limits, non-root with a read-only root filesystem."""
    cron = MANIFESTS["cronjob.yaml"]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["startingDeadlineSeconds"] > 0
    assert cron["jobTemplate"]["spec"]["backoffLimit"] >= 0
    uid, _, gid = IMAGE["user"].partition(":")
    for name, spec in POD_SPECS.items():
        assert spec["restartPolicy"] == "Never", name
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == int(uid), name
        assert spec["securityContext"]["runAsGroup"] == int(gid), name
        assert spec["securityContext"]["fsGroup"] == int(gid), name
        # A stop takes at most ~10 s: the grace period must leave it that time.
        assert spec["terminationGracePeriodSeconds"] >= 10
        (container,) = spec["containers"]
        assert "command" not in container, "the image's ENTRYPOINT must stay nps-connector"
        assert set(container["resources"]) == {"requests", "limits"}
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
    args = {name: spec["containers"][0]["args"] for name, spec in POD_SPECS.items()}
    assert args == {"cronjob.yaml": ["sync"], "backfill-job.yaml": ["backfill"], "setup-job.yaml": ["setup"]}


@pytest.mark.parametrize("job", ["backfill-job.yaml", "setup-job.yaml"])
def test_the_one_off_jobs_run_the_same_pod_as_the_cronjob(job: str) -> None:
    """Only the command differs, so a Job cannot drift from the CronJob it stands in for."""
    sync, other = copy.deepcopy(POD_SPECS["cronjob.yaml"]), copy.deepcopy(POD_SPECS[job])
    sync["containers"][0].pop("args")
    other["containers"][0].pop("args")
    assert sync == other


def _mounts(spec: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """mountPath -> (volume name, volume source) of the pod's one container."""
    volumes = {v["name"]: v for v in spec["volumes"]}
    (container,) = spec["containers"]
    return {m["mountPath"]: (m["name"], volumes[m["name"]]) for m in container["volumeMounts"]}


def _config_toml() -> dict[str, Any]:
    data = MANIFESTS["configmap.yaml"]["data"]
    (text,) = data.values()
    return tomllib.loads(text)


def test_volumes_sit_where_the_image_expects_them() -> None:
    """The ledger PVC on the image's VOLUME, the ConfigMap at $NPS_CONFIG, the token file where the TOML reads it."""
    config_path = PurePosixPath(IMAGE["env"]["NPS_CONFIG"])
    ledger_path = PurePosixPath(IMAGE["env"]["NPS_LEDGER__PATH"])
    assert IMAGE["volumes"] == [str(ledger_path.parent)]
    toml = _config_toml()
    token_path = PurePosixPath(toml["hubspot"]["access_token_file"])
    assert PurePosixPath(toml["ledger"]["path"]) == ledger_path
    config_map, secret, claim = MANIFESTS["configmap.yaml"], MANIFESTS["secret.example.yaml"], MANIFESTS["pvc.yaml"]
    for name, spec in POD_SPECS.items():
        mounts = _mounts(spec)
        _, ledger = mounts[str(ledger_path.parent)]
        assert ledger["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"], name
        _, config = mounts[str(config_path.parent)]
        assert config["configMap"]["name"] == config_map["metadata"]["name"], name
        assert config_path.name in config_map["data"]
        _, token = mounts[str(token_path.parent)]
        assert token["secret"]["secretName"] == secret["metadata"]["name"], name
        assert token_path.name in secret["stringData"]
        assert "emptyDir" in mounts["/tmp"][1], "dry runs need a writable /tmp on a read-only root"


def test_the_configmap_toml_is_a_valid_configuration(tmp_path: Path) -> None:
    """The TOML in the ConfigMap loads (the token file replaced by a local one) and logs JSON for the cluster."""
    data = MANIFESTS["configmap.yaml"]["data"]
    (text,) = data.values()
    token = tmp_path / "hubspot-token"
    token.write_text("pat-na1-deploy-test-token", encoding="utf-8")
    config = tmp_path / "nps-connector.toml"
    config.write_text(text.replace(_config_toml()["hubspot"]["access_token_file"], str(token)), encoding="utf-8")
    settings = load_settings(config, {})
    assert settings.access_token() == "pat-na1-deploy-test-token"
    assert settings.log.format == "json"


def _docker_runs() -> list[list[str]]:
    """Every `docker run` in deploy/docker, as argument lists."""
    runs = []
    for path in sorted(DOCKER.iterdir()):
        text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            if "docker run" in line and not line.lstrip().startswith("#"):
                words = shlex.split(line[line.index("docker run") :])
                runs.append(words)
    return runs


def test_the_docker_examples_mount_what_the_image_expects() -> None:
    """Plain cron and `run --every`: the ledger volume, the config at $NPS_CONFIG, the token where the TOML reads it."""
    runs = _docker_runs()
    assert len(runs) == 2
    commands = {tuple(run[-2:]) if run[-1] == "sync" else tuple(run[-3:]) for run in runs}
    assert commands == {("nps-connector:0.1.0", "sync"), ("run", "--every", "15m")}
    token_path = _config_toml()["hubspot"]["access_token_file"]
    for run in runs:
        targets = {value.split(":")[1] for flag, value in itertools.pairwise(run) if flag == "-v"}
        assert str(PurePosixPath(IMAGE["env"]["NPS_LEDGER__PATH"]).parent) in targets
        assert IMAGE["env"]["NPS_CONFIG"] in targets
        assert token_path in targets
        assert "--read-only" in run
        assert "--tmpfs" in run
