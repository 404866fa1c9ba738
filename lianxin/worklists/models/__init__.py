"""The work lists (三张清单, seed 004) and inspections (seed 001), one module per part:

- `keywork`: the monthly key-work list (重点工作推进清单) of a unit or a task force;
- `projects`: the county's supply-side project library and villages' demand-side projects;
- `training`: needs surveys, customised training plans, sessions and attendance;
- `inspections`: quarterly checks of work manuals, problems and rectification notices.
"""

from lianxin.worklists.models.inspections import (
    Inspection,
    InspectionProblem,
    Rectification,
    RectificationEvent,
)
from lianxin.worklists.models.keywork import KeyWorkEvent, KeyWorkItem
from lianxin.worklists.models.projects import DemandProject, ProjectUpdate, SupplyProject
from lianxin.worklists.models.training import (
    SurveyAnswer,
    SurveyRecipient,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    TrainingSurvey,
)

__all__ = [
    "DemandProject",
    "Inspection",
    "InspectionProblem",
    "KeyWorkEvent",
    "KeyWorkItem",
    "ProjectUpdate",
    "Rectification",
    "RectificationEvent",
    "SupplyProject",
    "SurveyAnswer",
    "SurveyRecipient",
    "TrainingAttendance",
    "TrainingPlan",
    "TrainingSession",
    "TrainingSurvey",
]
