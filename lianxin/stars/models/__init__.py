"""Five-star branch creation (五星支部创建), one module per part of the app:

- `catalog`: yearly star sets per county and unit type, their stars and standards, the
  county's settings, task forces and the list of weak branches;
- `economy`: collective-economy income statements (the reward rule reads them);
- `plans`: yearly creation plans of villages and the townships' quotas;
- `declarations`: declarations, their evidence, review steps, notices, objections, awards;
- `contests`: the three contests (三次大比武) with entries and judges' scores;
- `assessments`: the daily assessment (日常考核) of the four kinds of subject.
"""

from lianxin.stars.models.assessments import Assessment
from lianxin.stars.models.catalog import (
    CreationSettings,
    Standard,
    Star,
    StarSet,
    TaskForce,
    WeakBranch,
)
from lianxin.stars.models.contests import Contest, ContestEntry, ContestScore
from lianxin.stars.models.declarations import (
    Declaration,
    DeclarationEntry,
    Objection,
    PublicNotice,
    ReviewStep,
    StandardScore,
    StarAward,
)
from lianxin.stars.models.economy import IncomeLine, IncomeSource, IncomeStatement
from lianxin.stars.models.plans import (
    CreationPlan,
    PlanMeasure,
    PlanMilestone,
    PlanStar,
    Quota,
)

__all__ = [
    "Assessment",
    "Contest",
    "ContestEntry",
    "ContestScore",
    "CreationPlan",
    "CreationSettings",
    "Declaration",
    "DeclarationEntry",
    "IncomeLine",
    "IncomeSource",
    "IncomeStatement",
    "Objection",
    "PlanMeasure",
    "PlanMilestone",
    "PlanStar",
    "PublicNotice",
    "Quota",
    "ReviewStep",
    "StandardScore",
    "Star",
    "StarAward",
    "StarSet",
    "Standard",
    "TaskForce",
    "WeakBranch",
]
