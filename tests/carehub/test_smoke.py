from http import HTTPStatus


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/accounts/login/")


def test_verified_staff_sees_home(verified_client, staff_a):
    response = verified_client(staff_a).get("/")
    assert response.status_code == HTTPStatus.OK
    assert "Hélène" in response.content.decode()
