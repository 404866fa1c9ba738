"""Selectors: scope, the org tree, counts per duty — each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianxin.party import selectors
from lianxin.party.models import OrgKind
from lianxin.party.tests.factories import (
    make_activity,
    make_linked_households,
    make_member,
    make_org,
)

pytestmark = pytest.mark.django_db


def test_organisation_tree_is_one_query_and_depth_first(world, django_assert_num_queries) -> None:
    committee = make_org(world.village, name="党委", kind=OrgKind.COMMITTEE)
    b1 = make_org(world.grid, name="一支部", parent=committee)
    b2 = make_org(world.sibling_grid, name="二支部", parent=committee)
    g1 = make_org(world.building, name="一小组", kind=OrgKind.GROUP, parent=b1)
    make_member(b1)
    actor = world.actor("village_staff")
    with django_assert_num_queries(1):
        nodes = selectors.organisation_tree(actor)
    assert [(n.org, n.depth) for n in nodes] == [(committee, 0), (b1, 1), (g1, 2), (b2, 1)]
    assert [n.member_count for n in nodes] == [0, 1, 0, 0]
    sub = selectors.organisation_tree(actor, root=b1)
    assert [n.org for n in sub] == [b1, g1]


def test_duty_counts_in_a_period_is_one_query_and_scoped(world, django_assert_num_queries) -> None:
    today = timezone.localdate()
    grid_member = make_member(make_org(world.grid))
    sibling_member = make_member(make_org(world.sibling_grid))
    make_activity(grid_member, duty="visit", occurred_on=today)
    make_activity(grid_member, duty="visit", occurred_on=today)
    make_activity(grid_member, duty="policy", occurred_on=today - dt.timedelta(days=40))
    make_activity(sibling_member, duty="visit", occurred_on=today)
    actor = world.actor("grid_worker")
    with django_assert_num_queries(1):
        counts = selectors.duty_counts(actor, start=today - dt.timedelta(days=30), end=today)
    assert [(code, n) for code, _, n in counts] == [
        ("visit", 2),
        ("policy", 0),
        ("consult", 0),
        ("volunteer", 0),
        ("mediate", 0),
    ]
    village = dict((c, n) for c, _, n in selectors.duty_counts(world.actor("village_staff")))
    assert village["visit"] == 3 and village["policy"] == 1


def test_member_list_link_count_annotation_and_inactive_hidden(world) -> None:
    org = make_org(world.grid)
    member = make_member(org)
    make_linked_households(member, world.building, 4)
    gone = make_member(org)
    gone.is_active = False
    gone.save()
    rows = list(selectors.member_list(world.actor("grid_worker")))
    assert [(m, m.link_count) for m in rows] == [(member, 4)]
    assert len(selectors.member_list(world.actor("grid_worker"), include_inactive=True)) == 2


def test_link_candidates_stay_in_the_organisation_territory(world) -> None:
    from lianxin.core.testing import make_household

    member = make_member(make_org(world.grid))
    inside = make_household(world.building)
    make_household(world.sibling_building)
    make_household(world.other_village)
    found = list(selectors.link_candidates(world.actor("village_staff"), member))
    assert found == [inside]
    # A grid worker cannot manage links, so no candidates are offered to them.
    assert list(selectors.link_candidates(world.actor("grid_worker"), member)) == []
