"""WebSocket routes of every app, gathered here for the ASGI application."""

from django.urls import path

from messaging.consumers import MessagingConsumer

websocket_urlpatterns: list = [
    path("ws/messages/", MessagingConsumer.as_asgi(), name="ws_messages"),
]
