from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/export.csv", views.channel_export, name="channel_export"),
    path("channels/connect/", views.connect, name="channel_connect"),
    path("channels/connect/<int:attempt_id>/", views.connect_choose, name="channel_connect_choose"),
    path("channels/groups/", views.group_list, name="channel_group_list"),
    path("channels/groups/<int:group_id>/", views.group_detail, name="channel_group_detail"),
    path("channels/groups/<int:group_id>/delete/", views.group_delete, name="channel_group_delete"),
    path("channels/<int:channel_id>/", views.channel_detail, name="channel_detail"),
    path("channels/<int:channel_id>/reconnect/", views.channel_reconnect, name="channel_reconnect"),
    path(
        "channels/<int:channel_id>/disconnect/", views.channel_disconnect, name="channel_disconnect"
    ),
    path("channels/<int:channel_id>/archive/", views.channel_archive, name="channel_archive"),
    path("channels/<int:channel_id>/unarchive/", views.channel_unarchive, name="channel_unarchive"),
    path("channels/<int:channel_id>/check/", views.channel_check, name="channel_check"),
    path("channels/<int:channel_id>/grants/", views.grant_create, name="channel_grant_create"),
    path(
        "channels/<int:channel_id>/grants/<int:grant_id>/revoke/",
        views.grant_revoke,
        name="channel_grant_revoke",
    ),
    # The sandbox network's page for one of its posts (the "live post" of a sandbox variant)
    # no trailing slash: like a network's post URL, it ends with the post's id
    path("sandbox/posts/<str:external_id>", views.sandbox_post, name="sandbox_post"),
]

# Public: networks call these without our organization in the URL.
urlpatterns = [
    path("connect/sandbox/authorize", views.sandbox_authorize, name="sandbox_authorize"),
    path("sandbox/posts/<str:external_id>", views.sandbox_post_legacy, name="sandbox_post_legacy"),
    path(
        "connect/<str:provider>/callback", views.connect_callback, name="channel_connect_callback"
    ),
    path(
        "oauth/bluesky/client-metadata.json",
        views.bluesky_client_metadata,
        name="bluesky_client_metadata",
    ),
    path("webhooks/<str:provider>/", views.webhook, name="channel_webhook"),
]
