"""Optuna's RDB schema (optuna/storages/_rdb/models.py): the tables and columns that autonn reads
with plain SELECTs, where Optuna's API would first build every trial as an object."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Float, Integer, String, Text, column, table

STUDIES = table("studies", column("study_id", Integer), column("study_name", String))
DIRECTIONS = table("study_directions", column("study_id", Integer), column("objective", Integer))
STUDY_ATTRS = table(
    "study_user_attributes",
    column("study_id", Integer),
    column("key", String),
    column("value_json", Text),
)
TRIALS = table(
    "trials",
    column("trial_id", Integer),
    column("number", Integer),
    column("study_id", Integer),
    column("state", String),
    column("datetime_start", DateTime),
    column("datetime_complete", DateTime),
)
VALUES = table(
    "trial_values",
    column("trial_value_id", Integer),
    column("trial_id", Integer),
    column("objective", Integer),
    column("value", Float),
    column("value_type", String),
)
PARAMS = table(
    "trial_params",
    column("param_id", Integer),
    column("trial_id", Integer),
    column("param_name", String),
    column("param_value", Float),
    column("distribution_json", Text),
)
ATTRS = table(
    "trial_user_attributes",
    column("trial_user_attribute_id", Integer),
    column("trial_id", Integer),
    column("key", String),
    column("value_json", Text),
)


def state_name(value: Any) -> str:
    """'COMPLETE', ...: the `state` column is an Enum, which some back ends return as the member."""
    return str(getattr(value, "name", value))
