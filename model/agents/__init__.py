"""The four roles, one module each."""

from model.agents.cartel import Cartel
from model.agents.enforcement import EnforcementUnit
from model.agents.gang import Gang
from model.agents.migrant import Migrant, MigrantState

__all__ = ["Cartel", "EnforcementUnit", "Gang", "Migrant", "MigrantState"]
