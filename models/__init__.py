"""SimPy simulation models of a building and the harness they share.

Each model module registers a :class:`~models.harness.ModelSpec`; the runner, the command line,
the API and the reports find models through the registry and never name one.
"""

from models.harness import (KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult,
                            UnknownModelError, available_models, get_model, register)

# Models shipped with the package; importing a module registers its model.
from models import repair_desk  # noqa: E402,F401
from models import evacuation  # noqa: E402,F401

__all__ = ["KPI", "Chart", "ModelContext", "ModelSpec", "ReplicationCost", "ReplicationResult", "UnknownModelError",
           "available_models", "get_model", "register"]
