"""The four roles, one module each."""

from .cartel import Cartel
from .enforcement import EnforcementUnit
from .gang import Gang
from .migrant import Migrant, MigrantState

__all__ = ["Cartel", "EnforcementUnit", "Gang", "Migrant", "MigrantState"]
