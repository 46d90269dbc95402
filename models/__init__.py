"""SimPy simulation models of a building and the harness they share.

Each model module registers a :class:`~models.harness.ModelSpec`; the runner, the command line,
the API and the reports find models through the registry and never name one.
"""

from models.harness import (KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult,
                            UnknownModelError, available_models, get_model, register)

# The models shipped with the package are in models.harness.BUILTIN_MODELS; each is imported (and so
# registered) when it is first asked for by name, or all at once by available_models().

__all__ = ["KPI", "Chart", "ModelContext", "ModelSpec", "ReplicationCost", "ReplicationResult", "UnknownModelError",
           "available_models", "get_model", "register"]
