"""WebSocket routes of every app, gathered here for the ASGI application."""

websocket_urlpatterns: list = []
