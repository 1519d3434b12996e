from http import HTTPStatus

from django.core import mail

from notifications.models import Notification
from notifications.services import notify


def test_notify_creates_one_notice_per_active_user_and_emails_without_details(
    staff_a, coordinator_a, django_capture_on_commit_callbacks
):
    coordinator_a.is_active = True
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[staff_a, coordinator_a],
            kind=Notification.Kind.URGENT_NOTE,
            title="Urgent note not acknowledged — unit Les Lilas",
            url="/residents/handover/",
            email_subject="CareHub: an urgent note needs attention",
            email_body="Sign in to CareHub to see it.",
        )
    assert Notification.objects.filter(user=staff_a).count() == 1
    assert len(mail.outbox) == 2
    assert "/residents/handover/" in mail.outbox[0].body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_notify_with_dedup_key_is_idempotent(staff_a, django_capture_on_commit_callbacks):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notify(users=[staff_a], kind="info", title="Hello", email_subject="Hi", dedup_key="note:1:escalated")
    assert Notification.objects.filter(user=staff_a).count() == 1
    assert len(mail.outbox) == 1


def test_inactive_users_are_not_notified(staff_a):
    staff_a.is_active = False
    staff_a.save()
    notify(users=[staff_a], kind="info", title="Hello")
    assert not Notification.objects.exists()


def test_list_shows_only_own_notices_and_badge(verified_client, staff_a, staff_b):
    notify(users=[staff_a], kind="info", title="For A")
    notify(users=[staff_b], kind="info", title="For B")
    response = verified_client(staff_a).get("/notifications/")
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "For A" in body and "For B" not in body
    assert 'class="badge">1<' in body


def test_opening_marks_read_and_redirects_locally(verified_client, staff_a):
    (notice,) = notify(users=[staff_a], kind="info", title="Go", url="/directory/")
    client = verified_client(staff_a)
    response = client.post(f"/notifications/{notice.public_id}/open/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/directory/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_open_refuses_external_redirect(verified_client, staff_a):
    (notice,) = notify(users=[staff_a], kind="info", title="Go", url="https://evil.example/")
    response = verified_client(staff_a).post(f"/notifications/{notice.public_id}/open/")
    assert response.url == "/notifications/"


def test_someone_elses_notice_is_404(verified_client, staff_a, staff_b):
    (notice,) = notify(users=[staff_b], kind="info", title="Private")
    response = verified_client(staff_a).post(f"/notifications/{notice.public_id}/open/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    notice.refresh_from_db()
    assert notice.read_at is None


def test_read_all(verified_client, staff_a, staff_b):
    notify(users=[staff_a, staff_b], kind="info", title="x")
    verified_client(staff_a).post("/notifications/read-all/")
    assert Notification.objects.get(user=staff_a).read_at is not None
    assert Notification.objects.get(user=staff_b).read_at is None


def test_list_query_count_does_not_grow(verified_client, staff_a, django_assert_max_num_queries):
    client = verified_client(staff_a)
    notify(users=[staff_a], kind="info", title="one")
    with django_assert_max_num_queries(20) as small:
        client.get("/notifications/")
    for i in range(60):
        notify(users=[staff_a], kind="info", title=f"n{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/notifications/")
