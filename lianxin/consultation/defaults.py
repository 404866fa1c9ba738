"""Default meeting types, drawn from the seeds and the organic laws (村民委员会组织法,
城市居民委员会组织法, 中国共产党章程): editable data, installed by a data migration.

- 居民议事会 / 群议事会 (000, 001, 002): residents of the community talk a matter over; no legal
  quorum, at least 7 present by default; decided by a majority of those present.
- 居民代表会议 (000) and 村民代表会议: at least two thirds of the representatives present
  (组织法 第二十六条); decided by a majority of those present.
- 物业–居民面对面 (001, monthly): households of a compound meet the property company.
- 党员大会: at least two thirds of the branch's members present; decided by a majority of
  the members entitled to vote (党章, 党支部工作条例).
- 两委会议 and 支部委员会: the two committees / the branch committee; more than half present.
- 村民会议: adults of the village; two thirds of households represented (组织法 第二十二条).
"""

from __future__ import annotations

from typing import Any

MEETING_TYPES: list[dict[str, Any]] = [
    {
        "code": "resident_council",
        "name": "居民议事会",
        "electorate": "residents",
        "quorum_rule": "none",
        "quorum_minimum": 7,
        "threshold": "majority",
        "base": "present",
        "description": "议事角、书记会客厅、凉亭议事会等场所召开，居民现场说事议事。",
    },
    {
        "code": "resident_reps",
        "name": "居民代表会议",
        "electorate": "representatives",
        "quorum_rule": "two_thirds",
        "threshold": "majority",
        "base": "present",
        "for_villages": False,
        "description": "社区重大事项由居民代表会议讨论决定。",
    },
    {
        "code": "property_face_to_face",
        "name": "物业–居民面对面",
        "electorate": "households",
        "quorum_rule": "none",
        "threshold": "majority",
        "base": "cast",
        "description": "每月一次，物业企业与小区居民面对面协商。",
    },
    {
        "code": "branch_committee",
        "name": "党支部委员会会议",
        "electorate": "branch_committee",
        "quorum_rule": "majority",
        "threshold": "majority",
        "base": "eligible",
        "description": "四议两公开第一步：党支部提议。",
    },
    {
        "code": "two_committees",
        "name": "“两委”会议",
        "electorate": "committees",
        "quorum_rule": "majority",
        "threshold": "majority",
        "base": "present",
        "description": "村（社区）党组织委员会和村（居）民委员会联席会议。",
    },
    {
        "code": "party_congress",
        "name": "党员大会",
        "electorate": "party_members",
        "quorum_rule": "two_thirds",
        "threshold": "majority",
        "base": "eligible",
        "description": "应到会党员三分之二以上到会方可召开，决议须应到会党员过半数同意。",
    },
    {
        "code": "village_reps",
        "name": "村民代表会议",
        "electorate": "representatives",
        "quorum_rule": "two_thirds",
        "threshold": "majority",
        "base": "present",
        "for_communities": False,
        "description": "有三分之二以上组成人员参加方可召开，所作决定应经到会人员过半数同意。",
    },
    {
        "code": "village_assembly",
        "name": "村民会议",
        "electorate": "households",
        "quorum_rule": "two_thirds",
        "threshold": "majority",
        "base": "present",
        "for_communities": False,
        "description": "本村三分之二以上的户的代表参加，所作决定应经到会人员过半数通过。",
    },
]


def install_defaults(meeting_type_model: Any) -> int:
    """Create the default meeting types that are missing (by code); returns how many."""
    created = 0
    for order, spec in enumerate(MEETING_TYPES, start=1):
        _, made = meeting_type_model.objects.get_or_create(
            code=spec["code"], defaults={**spec, "sort_order": order * 10}
        )
        created += int(made)
    return created
