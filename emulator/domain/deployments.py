"""Azure OpenAI deployments: a model is served under a deployment name before an Azure client can call it.

Pure domain (no HTTP): the ARM routes, the control API and the Azure inference routes all go through
`Deployments`. Every state is derived from the clock on read, so a journal replay (pinned clock) rebuilds
the same registry and a virtual clock moves deployments along without any timer.

Rules (sources checked 2026-12-02):
- A new deployment is `Creating` for `PROVISIONING_SECONDS`, then `Succeeded`; inference before that gets
  `DeploymentNotFound`, whose message says as much ("If you created the deployment within the last 5
  minutes, please wait…"). Message and code as Azure sends them, e.g.
  https://github.com/Azure/openai-at-scale/issues/48,
  https://github.com/MicrosoftLearning/mslearn-ai-semantic-kernel/issues/10 (HTTP 404: DeploymentNotFound).
- Developer-tier deployments "have a fixed lifetime of 24 hours" and are deleted then
  (https://learn.microsoft.com/en-us/azure/ai-services/openai/how-to/fine-tune-test).
- "Deployed customized models that remain inactive for more than fifteen (15) days are deleted"; the
  fine-tuned model itself stays (https://learn.microsoft.com/en-us/azure/ai-services/openai/how-to/fine-tuning-deploy).
  Azure states the rule for customized (fine-tuned) models, so base-model deployments are not idle-deleted.
- An unknown model is refused with `DeploymentModelNotSupported` ("The model 'Format:…,Name:…,Version:…' of
  account deployment is not supported."), a SKU the model can't use with `InvalidResourceProperties` ("The
  specified SKU '…' of account deployment is not supported by the model '…' version: '…'."), both 400
  (https://github.com/microsoft/microsoft-foundry-for-vscode/issues/497,
  https://github.com/Azure/azure-dev/issues/6727). Developer tier serves fine-tuned models only
  (fine-tune-test page above).
- Fine-tuned models are deployed with `version: "1"` (fine-tuning-deploy page above).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..errors import APIError, InvalidRequestError
from .models import BASE_MODELS, ModelRecord

__all__ = [
    "DEVELOPER_TIER_LIFETIME",
    "IDLE_LIMIT",
    "PROVISIONING_SECONDS",
    "SKUS",
    "Deployment",
    "DeploymentNotFound",
    "Deployments",
    "ProvisioningState",
    "Sku",
    "deployment_name_error",
    "model_not_supported",
    "sku_not_supported",
]

Sku = Literal["standard", "globalstandard", "developertier"]
SKUS: tuple[Sku, ...] = ("standard", "globalstandard", "developertier")
_SKU_BY_NAME: dict[str, Sku] = {sku: sku for sku in SKUS}  # ARM compares SKU names case-insensitively
ProvisioningState = Literal["Creating", "Succeeded"]

PROVISIONING_SECONDS = 60.0  # Creating → Succeeded; short, so a test advances the virtual clock a minute
DEVELOPER_TIER_LIFETIME = 24 * 3600.0
IDLE_LIMIT = 15 * 24 * 3600.0
FINE_TUNED_VERSION = "1"

_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last "
    "5 minutes, please wait a moment and try again."
)
# A deployment name becomes a URL path segment on both planes: letters, digits, '-', '_' and '.', at most
# 64 characters, starting with a letter or digit (the emulator's conservative reading of ARM's name rules).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class DeploymentNotFound(APIError):
    """404 for a deployment that does not exist, is still being created, or was deleted by a clock rule."""

    status_code = 404
    code = "DeploymentNotFound"

    def __init__(self) -> None:
        super().__init__(_NOT_FOUND)


def model_not_supported(name: str, version: str | None, model_format: str = "OpenAI") -> InvalidRequestError:
    return InvalidRequestError(
        f"The model 'Format:{model_format},Name:{name},Version:{version or ''}' of account deployment is not "
        "supported.",
        code="DeploymentModelNotSupported",
    )


def sku_not_supported(sku: str, name: str, version: str | None) -> InvalidRequestError:
    return InvalidRequestError(
        f"The specified SKU '{sku}' of account deployment is not supported by the model '{name}' "
        f"version: '{version or ''}'.",
        code="InvalidResourceProperties",
    )


def deployment_name_error(name: str) -> InvalidRequestError | None:
    """ARM's refusal of a malformed resource name (None: the name is fine)."""
    if _NAME.match(name):
        return None
    return InvalidRequestError(
        f"The resource name '{name}' is invalid. It must be at most 64 letters, digits, '-', '_' or '.', "
        "starting with a letter or digit.",
        code="InvalidResourceName",
    )


@dataclass(slots=True)
class Deployment:
    """One named deployment of a model on an Azure resource."""

    name: str
    model: str  # the model id inference answers as: the fine-tuned id, or the base snapshot
    model_version: str  # ARM's properties.model.version ("1" for a fine-tuned model)
    sku: Sku
    capacity: int
    created_at: float
    fine_tuned: bool
    model_name: str = ""  # ARM's properties.model.name as given (a base alias such as gpt-4o-mini)
    updated_at: float = 0.0
    ready_at: float = 0.0  # when provisioning ends (Creating -> Succeeded)
    last_called_at: float | None = None

    def state(self, now: float) -> ProvisioningState:
        return "Creating" if now < self.ready_at else "Succeeded"

    def gone_at(self) -> float:
        """When a clock rule deletes the deployment (inf: never by itself)."""
        ends = [float("inf")]
        if self.sku == "developertier":
            ends.append(self.created_at + DEVELOPER_TIER_LIFETIME)
        if self.fine_tuned:
            ends.append(
                (self.last_called_at if self.last_called_at is not None else self.created_at) + IDLE_LIMIT
            )
        return min(ends)

    def alive(self, now: float) -> bool:
        return now < self.gone_at()


ModelFinder = Callable[[str], ModelRecord | None]


class Deployments:
    """A tenant's deployments by name. Every read takes `now` and first drops what the clock rules deleted."""

    def __init__(self, fine_tuned: ModelFinder | None = None) -> None:
        self._items: dict[str, Deployment] = {}
        self._lock = threading.Lock()
        self._fine_tuned: ModelFinder = fine_tuned or (lambda _name: None)

    def _sweep(self, now: float) -> None:
        for name in [n for n, d in self._items.items() if not d.alive(now)]:
            del self._items[name]

    def __len__(self) -> int:
        return len(self._items)

    def resolve(self, model: str, version: str | None, sku: str) -> tuple[str, str, bool, Sku]:
        """Check a model (name and version as ARM's `properties.model` gives them) and SKU: the model id
        inference answers as, the version to record, whether the model is fine-tuned, and the SKU.
        Raises Azure's 400s otherwise."""
        fine_tuned = self._fine_tuned(model) is not None
        if fine_tuned:
            if version not in (None, "", FINE_TUNED_VERSION):
                raise model_not_supported(model, version)
            served, resolved = model, FINE_TUNED_VERSION
        else:
            base = BASE_MODELS.get(model)
            if base is None:
                raise model_not_supported(model, version)
            snapshot = base.alias_of or base.id
            default = snapshot[len(model) + 1 :] if snapshot.startswith(model + "-") else ""
            if version and version != default:
                if f"{model}-{version}" not in BASE_MODELS:
                    raise model_not_supported(model, version)
                snapshot = f"{model}-{version}"
            served, resolved = snapshot, version or default
        tier = _SKU_BY_NAME.get(sku.lower())
        if tier is None or (tier == "developertier" and not fine_tuned):
            raise sku_not_supported(sku, model, resolved)
        return served, resolved, fine_tuned, tier

    def put(
        self,
        name: str,
        *,
        model: str,
        version: str | None,
        sku: str,
        capacity: int,
        now: float,
        ready: bool = False,
    ) -> tuple[Deployment, bool]:
        """Create or update (ARM PUT). Returns the deployment and whether it was created. `ready` skips
        provisioning (the control API's shortcut for tests that only need a working deployment)."""
        error = deployment_name_error(name)
        if error is not None:
            raise error
        served, resolved, fine_tuned, tier = self.resolve(model, version, sku)
        with self._lock:
            self._sweep(now)
            existing = self._items.get(name)
            if existing is None:
                ready_at = now if ready else now + PROVISIONING_SECONDS
                deployment = Deployment(
                    name, served, resolved, tier, capacity, now, fine_tuned, model, now, ready_at
                )
                self._items[name] = deployment
                return deployment, True
            existing.model, existing.model_name, existing.model_version = served, model, resolved
            existing.fine_tuned = fine_tuned
            existing.sku, existing.capacity, existing.updated_at = tier, capacity, now
            return existing, False

    def get(self, name: str, now: float) -> Deployment | None:
        with self._lock:
            self._sweep(now)
            return self._items.get(name)

    def list(self, now: float) -> list[Deployment]:
        with self._lock:
            self._sweep(now)
            return list(self._items.values())

    def delete(self, name: str, now: float) -> Deployment | None:
        with self._lock:
            self._sweep(now)
            return self._items.pop(name, None)

    def route(self, name: str, now: float) -> Deployment:
        """The deployment an inference call names, its call recorded (resetting the idle timer), or
        DeploymentNotFound when it is absent, still Creating, expired or idle-deleted."""
        with self._lock:
            self._sweep(now)
            deployment = self._items.get(name)
            if deployment is None or deployment.state(now) != "Succeeded":
                raise DeploymentNotFound()
            deployment.last_called_at = now
            return deployment

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
