"""The directory search, as people type it, on the database of the run (SQLite or PostgreSQL)."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from carehub.models import AccessLog
from directory.models import Assignment, Job, StaffProfile
from tests.directory.factories import OnCallShiftFactory, bulk_staff
from tests.factories import AssignmentFactory, SiteFactory, UnitFactory, make_staff

URL = "/directory/"


def names(response) -> list[str]:
    """The names of the people listed, in order."""
    html = response.content.decode()
    return [
        re.sub(r"\s+", " ", name).strip()
        for name in re.findall(r'<p class="person__name">\s*<a href="[^"]+">([^<]+)</a>', html)
    ]


@pytest.fixture
def people(site_a, site_b, unit_a, unit_b, staff_a, staff_b):
    """A small team across both sites: Hélène Lefèvre (A) and Marc Dupont (B) come from conftest."""
    make_staff(site_a, unit=unit_a, first_name="Martin", last_name="Rivière", email="martin@t.test")
    make_staff(site_b, unit=unit_b, first_name="Martine", last_name="Aubert", email="martine@t.test")
    make_staff(site_b, unit=unit_b, first_name="Jean", last_name="Martin", email="jean.martin@t.test")
    physio = make_staff(
        site_b, unit=unit_b, job=Job.PHYSIOTHERAPIST, first_name="Inès", last_name="Kiné", email="k@t.test"
    )
    nurse_pt = make_staff(site_a, job=Job.NURSE, first_name="Joana", last_name="Silva", email="js@t.test")
    StaffProfile.objects.filter(user=nurse_pt).update(languages=["fr", "pt"])
    nurse_pt.staff_profile.refresh_from_db()
    nurse_pt.staff_profile.save()  # re-derive the search columns with the new languages
    StaffProfile.objects.filter(user=physio).update(phone_extension="4321")
    physio.staff_profile.refresh_from_db()
    physio.staff_profile.save()
    return {"physio": physio, "nurse_pt": nurse_pt}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("helene", "Hélène Lefèvre"),
        ("HÉLÈNE", "Hélène Lefèvre"),
        ("lefevre", "Hélène Lefèvre"),
        ("Lefèvre", "Hélène Lefèvre"),
        ("riviere", "Martin Rivière"),
        ("4321", "Inès Kiné"),
        ("kine", "Inès Kiné"),
        ("kinesitherapeute", "Inès Kiné"),
        ("physio", "Inès Kiné"),
        ("portugais", "Joana Silva"),
        ("portuguese", "Joana Silva"),
        ("infirmiere", "Joana Silva"),
    ],
)
def test_search_ignores_accents_and_case_over_every_field(verified_client, staff_a, people, query, expected):
    response = verified_client(staff_a).get(URL, {"q": query})
    assert response.status_code == HTTPStatus.OK
    assert expected in names(response)


def test_prefix_finds_every_word_starting_with_it(verified_client, staff_a, people):
    found = names(verified_client(staff_a).get(URL, {"q": "mart"}))
    assert {"Martin Rivière", "Martine Aubert", "Jean Martin"} <= set(found)
    assert "Hélène Lefèvre" not in found


def test_every_word_must_match(verified_client, staff_a, people):
    found = names(verified_client(staff_a).get(URL, {"q": "infirmier portugais"}))
    assert found == ["Joana Silva"]
    found = set(names(verified_client(staff_a).get(URL, {"q": "martin palmiers"})))
    assert found == {"Jean Martin", "Martine Aubert"}


def test_site_and_unit_names_are_searchable(verified_client, staff_a, people):
    found = set(names(verified_client(staff_a).get(URL, {"q": "oliviers"})))
    assert found == {"Marc Dupont", "Martine Aubert", "Jean Martin", "Inès Kiné"}
    found = set(names(verified_client(staff_a).get(URL, {"q": "lilas"})))
    assert found == {"Hélène Lefèvre", "Martin Rivière"}


def test_best_match_first_then_own_site(verified_client, staff_a, people):
    # "martin": the whole first name "Martin" (site A, the searcher's) and the whole
    # last name "Martin" (site B) beat the prefix "Martine".
    found = names(verified_client(staff_a).get(URL, {"q": "martin"}))
    assert found[:2] == ["Martin Rivière", "Jean Martin"]
    assert found[2] == "Martine Aubert"


def test_own_site_first_when_matches_are_equal(verified_client, site_a, site_b, staff_a, staff_b):
    make_staff(site_b, first_name="Anne", last_name="Durand", email="anne.b@t.test")
    make_staff(site_a, first_name="Anne", last_name="Dupuis", email="anne.a@t.test")
    assert names(verified_client(staff_a).get(URL, {"q": "anne"})) == ["Anne Dupuis", "Anne Durand"]
    assert names(verified_client(staff_b).get(URL, {"q": "anne"})) == ["Anne Durand", "Anne Dupuis"]


def test_one_typo_is_tolerated(verified_client, staff_a, people):
    assert "Marc Dupont" in names(verified_client(staff_a).get(URL, {"q": "Dupon"}))
    assert "Marc Dupont" in names(verified_client(staff_a).get(URL, {"q": "dupomt"}))
    assert "Hélène Lefèvre" in names(verified_client(staff_a).get(URL, {"q": "lefebvre"}))
    assert "Hélène Lefèvre" in names(verified_client(staff_a).get(URL, {"q": "lefevte"}))
    assert names(verified_client(staff_a).get(URL, {"q": "dumas"})) == []  # not a typo of anyone
    # An exact match still comes before a fuzzy one.
    make_staff(staff_a.assignments.first().site, first_name="Paul", last_name="Dupon", email="dupon@t.test")
    assert names(verified_client(staff_a).get(URL, {"q": "dupon"}))[:2] == ["Paul Dupon", "Marc Dupont"]


def test_no_match_says_so(verified_client, staff_a, people):
    response = verified_client(staff_a).get(URL, {"q": "zzzzzz"})
    assert response.status_code == HTTPStatus.OK
    assert names(response) == []
    assert "Nobody matches" in response.content.decode() or "Personne" in response.content.decode()


def test_filters_site_unit_job(verified_client, staff_a, site_b, unit_b, people):
    client = verified_client(staff_a)
    found = set(names(client.get(URL, {"site": str(site_b.public_id)})))
    assert found == {"Marc Dupont", "Martine Aubert", "Jean Martin", "Inès Kiné"}
    other_unit = UnitFactory(site=site_b, name="Les Mangues")
    make_staff(site_b, unit=other_unit, first_name="Zoé", last_name="Mangue", email="zoe@t.test")
    found = set(names(client.get(URL, {"site": str(site_b.public_id), "unit": str(other_unit.public_id)})))
    assert found == {"Zoé Mangue"}
    assert names(client.get(URL, {"job": Job.PHYSIOTHERAPIST})) == ["Inès Kiné"]


def test_filter_on_call_today_uses_each_sites_time_zone(verified_client, staff_a, staff_b, site_a, site_b, people):
    OnCallShiftFactory(site=site_a, user=staff_a, date=timezone.localdate(timezone=site_a.zone))
    OnCallShiftFactory(site=site_b, user=staff_b, date=timezone.localdate(timezone=site_b.zone))
    yesterday = timezone.localdate(timezone=site_b.zone) - timezone.timedelta(days=3)
    OnCallShiftFactory(site=site_b, user=people["physio"], date=yesterday)
    response = verified_client(staff_a).get(URL, {"on_call": "on"})
    assert set(names(response)) == {"Hélène Lefèvre", "Marc Dupont"}
    assert "on call today" in response.content.decode() or "astreinte" in response.content.decode()


def test_invalid_filter_is_a_clear_400(verified_client, staff_a, people):
    response = verified_client(staff_a).get(URL, {"site": "not-a-site", "q": "a"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'class="errorlist' in response.content.decode()
    long_query = verified_client(staff_a).get(URL, {"q": "x" * 500})
    assert long_query.status_code == HTTPStatus.BAD_REQUEST


def test_unit_of_another_site_is_refused(verified_client, staff_a, site_a, unit_b, people):
    response = verified_client(staff_a).get(URL, {"site": str(site_a.public_id), "unit": str(unit_b.public_id)})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_every_search_is_in_the_access_log(verified_client, staff_a, site_b, people):
    client = verified_client(staff_a)
    before = AccessLog.objects.filter(action=AccessLog.Action.SEARCH).count()
    client.get(URL, {"q": "Hélène", "site": str(site_b.public_id)})
    entry = AccessLog.objects.filter(action=AccessLog.Action.SEARCH).order_by("-id").first()
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH).count() == before + 1
    assert entry.user == staff_a
    assert "Hélène" in entry.query and site_b.name in entry.query
    client.get(URL)  # opening the page is not a search
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH).count() == before + 1


def test_htmx_gets_the_results_fragment_plain_get_the_page(verified_client, staff_a, people):
    client = verified_client(staff_a)
    page = client.get(URL, {"q": "helene"})
    assert "<html" in page.content.decode() and 'name="q"' in page.content.decode()
    assert 'value="helene"' in page.content.decode()  # the URL keeps the query
    fragment = client.get(URL, {"q": "helene"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and "Hélène Lefèvre" in names(fragment)
    assert 'hx-swap-oob="true"' in body  # the unit picker follows the chosen site
    assert '<span id="directory-count" hx-swap-oob="innerHTML">' in body  # the count, in its status region
    assert "HX-Request" in fragment["Vary"]
    restore = client.get(URL, {"q": "helene"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_results_show_contact_actions(verified_client, staff_a, people):
    response = verified_client(staff_a).get(URL, {"q": "kine"})
    html = response.content.decode()
    assert 'href="tel:4321"' in html
    assert 'href="mailto:k@t.test"' in html
    physio = people["physio"]
    assert reverse("directory:profile", args=[physio.public_id]) in html


def test_message_link_only_when_messaging_provides_it(verified_client, staff_a, people):
    from django.urls import NoReverseMatch

    response = verified_client(staff_a).get(URL, {"q": "kine"})
    try:
        url = reverse("messaging:start_direct", args=[people["physio"].public_id])
    except NoReverseMatch:
        assert "messages/" not in response.content.decode().split("<main")[1]
    else:
        assert url in response.content.decode()


def test_pagination_keeps_the_query(verified_client, staff_a, site_a, settings):
    settings.DIRECTORY_PAGE_SIZE = 5
    bulk_staff(site_a, 12, prefix="paginé")
    client = verified_client(staff_a)
    first = client.get(URL, {"q": "pagine"})
    assert len(names(first)) == 5
    assert "q=pagine&amp;page=2" in first.content.decode()
    third = client.get(URL, {"q": "pagine", "page": 3})
    assert len(names(third)) == 2
    assert client.get(URL, {"q": "pagine", "page": "999"}).status_code == HTTPStatus.OK


def test_people_who_left_or_never_started_are_not_listed(verified_client, staff_a, site_a):
    today = timezone.localdate()
    gone = make_staff(site_a, first_name="Ancien", last_name="Parti", email="gone@t.test")
    Assignment.objects.filter(user=gone).update(end_date=today - timezone.timedelta(days=1))
    inactive = make_staff(site_a, first_name="Ancien", last_name="Inactif", email="inactive@t.test")
    inactive.is_active = False
    inactive.save()
    assert names(verified_client(staff_a).get(URL, {"q": "ancien"})) == []


@pytest.mark.parametrize("user_fixture", ["family_user"])
def test_families_never_reach_the_directory(verified_client, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    response = verified_client(user).get(URL, {"q": "a"})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_staff_without_current_assignment_is_refused(verified_client, site_a):
    leaver = make_staff(site_a, email="leaver@t.test")
    Assignment.objects.filter(user=leaver).update(end_date=timezone.localdate() - timezone.timedelta(days=1))
    assert verified_client(leaver).get(URL).status_code == HTTPStatus.FORBIDDEN


def test_head_office_staff_found_through_the_head_office_site(verified_client, staff_a, group_admin):
    from directory.models import Site

    assert names(verified_client(staff_a).get(URL, {"q": "paul"})) == []
    AssignmentFactory(user=group_admin, site=SiteFactory(name="Siège du groupe", kind=Site.Kind.HEAD_OFFICE))
    found = names(verified_client(staff_a).get(URL, {"q": "siege"}))
    assert len(found) == 1 and found[0].startswith("Paul")


@pytest.fixture
def presence():
    """Sockets' heartbeats as the messaging consumer records them (the real presence store)."""
    from carehub.presence import presence_beat

    def install(statuses):
        for user_id, state in statuses.items():
            presence_beat(user_id, f"test-socket-{user_id}", state)

    return install


def test_presence_shown_and_present_now_filter(verified_client, staff_a, staff_b, people, presence):
    presence({staff_b.pk: "online", people["physio"].pk: "away"})
    client = verified_client(staff_a)
    page = client.get(URL, {"q": "oliviers"}).content.decode()
    assert 'name="present"' in page
    assert "presence--online" in page and "presence--away" in page
    found = set(names(client.get(URL, {"q": "oliviers", "present": "on"})))
    assert found == {"Marc Dupont", "Inès Kiné"}


#: Queries of one directory request, all included: session, user, 2FA device, policy,
#: the shared context processors (notifications, messages) and the access-log append.
#: The directory's own share is fixed (sites, units, count, page, assignments, on-call).
MAX_QUERIES = 32


def _search_requests(client, site):
    return [
        ({"q": "alpha", "site": str(site.public_id)}, {}),
        ({"q": "alpha nom", "job": Job.CARE_ASSISTANT}, {"HTTP_HX_REQUEST": "true"}),
        ({"q": "aide", "on_call": "on"}, {}),
        ({}, {}),
    ]


@pytest.mark.parametrize("size", [10, 500])
def test_search_runs_a_fixed_number_of_queries(
    verified_client, staff_a, site_a, site_b, django_assert_max_num_queries, size
):
    unit = UnitFactory(site=site_a, name="Les Roses")
    bulk_staff(site_a, size // 2, unit=unit, prefix="alpha")
    bulk_staff(site_b, size - size // 2, prefix="alpha")
    for n in range(3):
        OnCallShiftFactory(site=site_a, user=staff_a, date=timezone.localdate() + timezone.timedelta(days=n))
    client = verified_client(staff_a)
    client.get(URL)  # warm the session
    expected = [min(25, size // 2), min(25, size), 1, min(25, size + 1)]
    for (params, headers), count in zip(_search_requests(client, site_a), expected, strict=True):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(URL, params, **headers)
        assert response.status_code == HTTPStatus.OK
        assert len(names(response)) == count, params


def test_query_count_does_not_grow_with_the_group(verified_client, staff_a, site_a, site_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(staff_a)
    client.get(URL)
    counts = []
    for size in (10, 300):
        bulk_staff(site_a, size, prefix=f"grow{size}x")
        bulk_staff(site_b, size, prefix=f"grow{size}y")
        per_request = []
        for params, headers in _search_requests(client, site_a):
            with CaptureQueriesContext(connection) as ctx:
                client.get(URL, params, **headers)
            per_request.append(len(ctx.captured_queries))
        counts.append(per_request)
    assert counts[0] == counts[1]


def test_search_columns_follow_renames(verified_client, staff_a, site_b, unit_b, staff_b):
    client = verified_client(staff_a)
    staff_b.last_name = "Durand-Évêque"
    staff_b.save()
    assert names(client.get(URL, {"q": "eveque"})) == ["Marc Durand-Évêque"]
    site_b.name = "Résidence Les Goyaviers"
    site_b.save()
    assert names(client.get(URL, {"q": "goyaviers"})) == ["Marc Durand-Évêque"]
    unit_b.name = "Les Bananiers"
    unit_b.save()
    assert names(client.get(URL, {"q": "bananiers"})) == ["Marc Durand-Évêque"]
    new_site = SiteFactory(name="FAM Le Colombier")
    AssignmentFactory(user=staff_b, site=new_site, is_primary=False)
    assert names(client.get(URL, {"q": "colombier"})) == ["Marc Durand-Évêque"]
