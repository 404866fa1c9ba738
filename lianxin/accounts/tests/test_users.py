"""Account management: creating accounts and posts inside the granter's scope, ending posts,
unlocking, and the scoped account list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department, Post, User
from lianxin.accounts.permissions import Role
from lianxin.accounts.services import post_create, post_end, user_create, user_unlock
from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_unit, make_user


class TestUserCreate:
    def test_generated_password_is_returned_once_and_must_change(self, world) -> None:  # noqa: ANN001
        user, generated = user_create(
            actor=world.actor("village_secretary"),
            username="li_wanggeyuan",
            full_name="李网格",
            role=Role.GRID_WORKER,
            unit=world.grid,
        )
        assert generated and user.check_password(generated)
        assert user.must_change_password is True
        post = user.posts.get()
        assert (post.role, post.unit_id, post.is_active) == (Role.GRID_WORKER, world.grid.pk, True)
        created = AuditEvent.objects.get(
            action=AuditEvent.Action.CREATE, object_id=str(user.public_id)
        )
        # The account's event belongs to the unit of its first post, so the village sees it.
        assert created.scope_path == world.grid.path
        assert created.changes["password"] == {"secret": True}

    def test_typed_password_must_follow_the_rules(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError) as exc:
            user_create(
                actor=world.actor("village_secretary"),
                username="li",
                full_name="李",
                role=Role.GRID_WORKER,
                unit=world.grid,
                password="abc",
            )
        assert exc.value.field == "password"
        assert not User.objects.filter(username="li").exists()

    def test_integration_accounts_have_no_usable_password(self, world) -> None:  # noqa: ANN001
        user, generated = user_create(
            actor=world.actor("village_secretary"),
            username="api_village",
            full_name="数据对接",
            role=Role.VILLAGE_STAFF,
            unit=world.village,
            is_integration=True,
        )
        assert generated == "" and not user.has_usable_password() and user.is_integration

    def test_usernames_are_unique_ignoring_case(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError) as exc:
            user_create(
                actor=world.actor("village_secretary"),
                username="Grid_Worker",
                full_name="重名",
                role=Role.GRID_WORKER,
                unit=world.grid,
            )
        assert exc.value.field == "username"

    def test_unit_outside_the_scope_is_refused(self, world) -> None:  # noqa: ANN001
        other_grid = make_unit("grid", "G410883002001-01", "西关第一网格", world.other_village)
        with pytest.raises(PermissionDenied) as exc:
            user_create(
                actor=world.actor("village_secretary"),
                username="x1",
                full_name="某",
                role=Role.GRID_WORKER,
                unit=other_grid,
            )
        assert exc.value.field == "unit"
        assert not User.objects.filter(username="x1").exists()

    def test_form_keeps_values_and_names_the_field(self, world) -> None:  # noqa: ANN001
        client = world.client("village_secretary")
        response = client.post(
            reverse("accounts:user_create"),
            {
                "username": "zhao_liu",
                "full_name": "赵六",
                "role": Role.GRID_WORKER,
                "unit": world.other_village.code,
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "不在您的管辖范围内" in body
        assert 'value="zhao_liu"' in body and 'value="赵六"' in body
        assert not User.objects.filter(username="zhao_liu").exists()

    def test_page_creates_and_shows_the_generated_password(self, world) -> None:  # noqa: ANN001
        client = world.client("village_secretary")
        response = client.post(
            reverse("accounts:user_create"),
            {
                "username": "zhao_liu",
                "full_name": "赵六",
                "role": Role.GRID_WORKER,
                "unit": world.grid.code,
            },
        )
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        shown = response.content.decode().split('id="temp-password">')[1].split("<")[0]
        assert User.objects.get(username="zhao_liu").check_password(shown)


class TestPosts:
    def test_role_and_unit_kind_must_match(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError, match="网格员只能设在网格一级") as exc:
            post_create(
                actor=world.actor("village_secretary"),
                user=world.users["nobody"],
                role=Role.GRID_WORKER,
                unit=world.village,
            )
        assert exc.value.field == "unit"

    def test_department_staff_need_a_department_at_that_unit(self, world) -> None:  # noqa: ANN001
        actor = world.actor("sysadmin")
        nobody = world.users["nobody"]
        with pytest.raises(DomainError) as exc:
            post_create(actor=actor, user=nobody, role=Role.DEPARTMENT_STAFF, unit=world.county)
        assert exc.value.field == "department"
        street_dept = Department.objects.create(name="大定街道综合执法队", unit=world.street)
        with pytest.raises(DomainError, match="所选部门不在该单元"):
            post_create(
                actor=actor,
                user=nobody,
                role=Role.DEPARTMENT_STAFF,
                unit=world.county,
                department=street_dept,
            )
        with pytest.raises(DomainError, match="只有职能部门人员"):
            post_create(
                actor=actor,
                user=nobody,
                role=Role.ORG_DEPARTMENT,
                unit=world.county,
                department=street_dept,
            )
        post = post_create(
            actor=actor,
            user=nobody,
            role=Role.DEPARTMENT_STAFF,
            unit=world.county,
            department=world.department,
        )
        assert post.department == world.department

    def test_granter_needs_accounts_manage_at_the_unit(self, world) -> None:  # noqa: ANN001
        with pytest.raises(PermissionDenied):
            post_create(
                actor=world.actor("other_street_staff"),
                user=world.users["nobody"],
                role=Role.VILLAGE_STAFF,
                unit=world.village,
            )
        # A grid worker has no accounts.manage anywhere.
        with pytest.raises(PermissionDenied):
            post_create(
                actor=world.actor("grid_worker"),
                user=world.users["nobody"],
                role=Role.BUILDING_LEADER,
                unit=world.building,
            )

    def test_a_new_post_gives_scope_and_ending_it_takes_it_away(self, world) -> None:  # noqa: ANN001
        nobody = world.users["nobody"]
        assert not Actor.for_user(nobody).can("people.view", world.grid.path)
        post = post_create(
            actor=world.actor("village_secretary"),
            user=nobody,
            role=Role.GRID_WORKER,
            unit=world.grid,
        )
        assert Actor.for_user(nobody).can("people.view", world.grid.path)
        post_end(actor=world.actor("village_secretary"), post=post)
        post.refresh_from_db()
        assert post.is_active is False and post.ended_on == timezone.localdate()
        assert not Actor.for_user(nobody).can("people.view", world.grid.path)
        with pytest.raises(DomainError, match="已离岗"):
            post_end(actor=world.actor("village_secretary"), post=post)

    def test_duplicate_active_post_is_refused(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError, match="已在此单元担任该角色"):
            post_create(
                actor=world.actor("village_secretary"),
                user=world.users["grid_worker"],
                role=Role.GRID_WORKER,
                unit=world.grid,
            )

    def test_post_form_page(self, world) -> None:  # noqa: ANN001
        client = world.client("village_secretary")
        nobody = world.users["nobody"]
        # nobody has no post: add one in the village first so the account is visible.
        Post.objects.create(user=nobody, role=Role.VILLAGE_STAFF, unit=world.village)
        url = reverse("accounts:post_create", kwargs={"public_id": nobody.public_id})
        bad = client.post(
            url, {"role": Role.BUILDING_LEADER, "unit": world.grid.code, "title": "楼长"}
        )
        assert "只能设在楼栋/楼院一级" in bad.content.decode()
        assert 'value="楼长"' in bad.content.decode()
        good = client.post(url, {"role": Role.BUILDING_LEADER, "unit": world.building.code})
        assert good.status_code == 302
        assert nobody.posts.filter(role=Role.BUILDING_LEADER, unit=world.building).exists()

    def test_post_end_page(self, world) -> None:  # noqa: ANN001
        post = world.users["grid_worker"].posts.get()
        response = world.client("village_secretary").post(
            reverse("accounts:post_end", kwargs={"public_id": post.public_id})
        )
        assert response.status_code == 302
        post.refresh_from_db()
        assert not post.is_active
        audit = AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE, object_id=str(post.public_id)
        ).latest("id")
        assert audit.changes["is_active"] == {"old": True, "new": False}


class TestUnlock:
    def test_unlock_lifts_the_lock(self, world) -> None:  # noqa: ANN001
        target = world.users["grid_worker"]
        User.objects.filter(pk=target.pk).update(
            locked_until=timezone.now() + dt.timedelta(minutes=10)
        )
        target.refresh_from_db()
        user_unlock(actor=world.actor("village_secretary"), user=target)
        target.refresh_from_db()
        assert not target.is_locked
        assert AuditEvent.objects.filter(
            object_id=str(target.public_id), changes__has_key="locked_until"
        ).exists()

    def test_unlocking_an_unlocked_account_says_so(self, world) -> None:  # noqa: ANN001
        with pytest.raises(DomainError, match="未被锁定"):
            user_unlock(actor=world.actor("village_secretary"), user=world.users["grid_worker"])


class TestUserList:
    def _names(self, response) -> set[str]:  # noqa: ANN001
        return {u.username for u in response.context["page"].object_list}

    def test_lists_accounts_posted_inside_the_scope(self, world) -> None:  # noqa: ANN001
        names = self._names(world.client("village_secretary").get(reverse("accounts:user_list")))
        assert {"grid_worker", "sibling_grid_worker", "building_leader", "village_staff"} <= names
        assert not names & {"street_staff", "other_village_staff", "sysadmin", "nobody"}
        street = self._names(world.client("street_staff").get(reverse("accounts:user_list")))
        assert {"grid_worker", "village_staff", "street_staff"} <= street
        assert "other_village_staff" not in street

    def test_only_posts_inside_the_scope_are_shown(self, world) -> None:  # noqa: ANN001
        target = world.users["grid_worker"]
        Post.objects.create(user=target, role=Role.VILLAGE_STAFF, unit=world.other_village)
        response = world.client("village_secretary").get(
            reverse("accounts:user_detail", kwargs={"public_id": target.public_id})
        )
        body = response.content.decode()
        assert world.grid.display_name in body
        assert world.other_village.display_name not in body
        assert "另有 1 个在岗岗位在您的管辖范围以外" in body

    def test_filters(self, world) -> None:  # noqa: ANN001
        client = world.client("village_secretary")
        User.objects.filter(username="building_leader").update(
            locked_until=timezone.now() + dt.timedelta(minutes=5)
        )
        assert self._names(client.get(reverse("accounts:user_list"), {"status": "locked"})) == {
            "building_leader"
        }
        assert self._names(
            client.get(reverse("accounts:user_list"), {"role": Role.GRID_WORKER})
        ) == {
            "grid_worker",
            "sibling_grid_worker",
        }
        assert self._names(client.get(reverse("accounts:user_list"), {"q": "sibling"})) == {
            "sibling_grid_worker"
        }

    def test_without_the_permission_the_page_is_forbidden(self, world) -> None:  # noqa: ANN001
        assert world.client("grid_worker").get(reverse("accounts:user_list")).status_code == 403
        assert world.client("grid_worker").get(reverse("accounts:user_create")).status_code == 403

    def test_query_count_does_not_grow_with_rows(self, world) -> None:  # noqa: ANN001
        client = world.client("village_secretary")
        client.get(reverse("accounts:user_list"))  # warm the session and caches

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("accounts:user_list")).status_code == 200
            return len(ctx)

        before = count()
        for i in range(15):
            user = make_user(f"extra_{i}", Role.BUILDING_LEADER, world.building)
            Post.objects.create(user=user, role=Role.GRID_WORKER, unit=world.grid)
        assert count() == before
