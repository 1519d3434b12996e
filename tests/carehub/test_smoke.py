from http import HTTPStatus


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/accounts/login/")


def test_care_staff_land_on_their_units_handover(verified_client, staff_a, unit_a):
    response = verified_client(staff_a).get("/", follow=True)
    assert response.context["handover"].unit == unit_a


def test_coordinators_see_their_home(verified_client, coordinator_a):
    response = verified_client(coordinator_a).get("/")
    assert "Claire" in response.content.decode()
