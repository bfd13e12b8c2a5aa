from django.urls import path

from . import views, views_notifications
from .service_accounts import views as service_account_views
from .webhooks import views as webhook_views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("settings/", views.org_settings, name="org_settings"),
    path("roles/", views.roles, name="roles"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:team_id>/", views.team_detail, name="team_detail"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("my-hours/", views.my_working_hours, name="my_working_hours"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
    path("members/<int:member_id>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("members/<int:member_id>/reactivate/", views.member_reactivate, name="member_reactivate"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path(
        "invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path(
        "service-accounts/", service_account_views.service_account_list, name="service_account_list"
    ),
    path(
        "service-accounts/<int:service_account_id>/",
        service_account_views.service_account_detail,
        name="service_account_detail",
    ),
    path(
        "service-accounts/<int:service_account_id>/disable/",
        service_account_views.service_account_disable,
        name="service_account_disable",
    ),
    path(
        "service-accounts/<int:service_account_id>/enable/",
        service_account_views.service_account_enable,
        name="service_account_enable",
    ),
    path(
        "service-accounts/<int:service_account_id>/tokens/<int:token_id>/rotate/",
        service_account_views.service_account_token_rotate,
        name="service_account_token_rotate",
    ),
    path(
        "service-accounts/<int:service_account_id>/tokens/<int:token_id>/revoke/",
        service_account_views.service_account_token_revoke,
        name="service_account_token_revoke",
    ),
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path("notifications/bell/", views_notifications.notification_bell, name="notification_bell"),
    path(
        "notifications/read-all/",
        views_notifications.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/settings/",
        views_notifications.notification_settings,
        name="notification_settings",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        views_notifications.notification_open,
        name="notification_open",
    ),
    path("settings/webhooks/", webhook_views.webhook_endpoint_list, name="webhook_endpoint_list"),
    path(
        "settings/webhooks/<int:endpoint_id>/",
        webhook_views.webhook_endpoint_detail,
        name="webhook_endpoint_detail",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/rotate/",
        webhook_views.webhook_endpoint_rotate,
        name="webhook_endpoint_rotate",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/toggle/",
        webhook_views.webhook_endpoint_toggle,
        name="webhook_endpoint_toggle",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/delete/",
        webhook_views.webhook_endpoint_delete,
        name="webhook_endpoint_delete",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/",
        webhook_views.webhook_delivery_detail,
        name="webhook_delivery_detail",
    ),
    path(
        "settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay/",
        webhook_views.webhook_delivery_replay,
        name="webhook_delivery_replay",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("orgs/", views.org_list, name="org_list"),
    path("me/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
