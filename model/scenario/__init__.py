"""Scenario files: the schema (`schema`), reading and checking them (`loading`), and the
parameter table (`explain`). The names below are what the rest of the code imports."""

from model.scenario.explain import parameter_table
from model.scenario.loading import (check_against_map, check_steps, load_scenario, merge, parse_scenario,
                                    read_scenario_dict, read_toml)
from model.scenario.schema import (JURISDICTION_DEFAULTS, LEVERS, SLUG, Cartel, Detection, Gang, JurisdictionPolicy,
                                   Meta, MigrantOrigin, Migrants, Output, P, PolicyLever, Portfolio, Routing, Scenario,
                                   Slug, Strategy, Strict, Violence, lever_bounds)

__all__ = ["JURISDICTION_DEFAULTS", "LEVERS", "SLUG", "Cartel", "Detection", "Gang", "JurisdictionPolicy", "Meta",
           "MigrantOrigin", "Migrants", "Output", "P", "PolicyLever", "Portfolio", "Routing", "Scenario", "Slug", "Strategy",
           "Strict", "Violence", "check_against_map", "check_steps", "load_scenario", "merge", "parameter_table",
           "parse_scenario", "read_scenario_dict", "read_toml", "lever_bounds"]
