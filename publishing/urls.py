from django.urls import path

from .calendar import views as calendar_views
from .media import views as media_views
from .posts import views as post_views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("compose/", post_views.compose, name="compose"),
    path("compose/preview/", post_views.compose_preview, name="compose_preview"),
    path("compose/count/", post_views.compose_count, name="compose_count"),
    path("posts/", post_views.post_list, name="post_list"),
    path("posts/import/", post_views.post_import, name="post_import"),
    path("posts/bulk/", post_views.post_bulk, name="post_bulk"),
    path("posts/<int:post_id>/", post_views.post_detail, name="post_detail"),
    path("posts/<int:post_id>/progress/", post_views.post_progress, name="post_progress"),
    path("posts/<int:post_id>/edit/", post_views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/delete/", post_views.post_delete, name="post_delete"),
    path("posts/<int:post_id>/localize/", post_views.post_localize, name="post_localize"),
    path(
        "posts/<int:post_id>/variants/<int:variant_id>/retry/",
        post_views.variant_retry,
        name="variant_retry",
    ),
    path("campaigns/", post_views.campaign_list, name="campaign_list"),
    # The editorial calendar (publishing/calendar/views.py)
    path("campaigns/<int:campaign_id>/edit/", calendar_views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<int:campaign_id>/archive/",
        calendar_views.campaign_archive,
        name="campaign_archive",
    ),
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/events/", calendar_views.calendar_events, name="calendar_events"),
    path("calendar/posts/<int:post_id>/move/", calendar_views.calendar_move, name="calendar_move"),
    path("calendar/best-times/", calendar_views.calendar_best_times, name="calendar_best_times"),
    path("calendar/notes/", calendar_views.note_list, name="calendar_notes"),
    path("calendar/notes/<int:note_id>/", calendar_views.note_edit, name="calendar_note_edit"),
    path(
        "calendar/notes/<int:note_id>/delete/",
        calendar_views.note_delete,
        name="calendar_note_delete",
    ),
    path("calendar/holidays/", calendar_views.holiday_settings, name="calendar_holidays"),
    path("calendar/cadence/", calendar_views.cadence_list, name="calendar_cadence"),
    path(
        "calendar/cadence/<int:target_id>/delete/",
        calendar_views.cadence_delete,
        name="calendar_cadence_delete",
    ),
    path("calendar/share/", calendar_views.share_list, name="calendar_share"),
    path(
        "calendar/share/<int:link_id>/revoke/",
        calendar_views.share_revoke,
        name="calendar_share_revoke",
    ),
    # The media library (publishing/media/views.py): files only through these org-scoped views.
    path("media/", media_views.media_list, name="media_list"),
    path("media/<int:asset_id>/", media_views.media_detail, name="media_detail"),
    path("media/<int:asset_id>/focal/", media_views.media_focal, name="media_focal"),
    path("media/<int:asset_id>/delete/", media_views.media_delete, name="media_delete"),
    path("media/<int:asset_id>/thumbnail/", media_views.media_thumbnail, name="media_thumbnail"),
    path("media/<int:asset_id>/original/", media_views.media_original, name="media_original"),
    path(
        "media/<int:asset_id>/renditions/<slug:preset>/",
        media_views.media_rendition,
        name="media_rendition",
    ),
]

# Public: a calendar share link is its own credential (signed, expiring, revocable; publishing/calendar/views.py).
public_urlpatterns = [
    path(
        "calendar/shared/<str:share_token>/", calendar_views.shared_calendar, name="calendar_shared"
    ),
    path(
        "calendar/shared/<str:share_token>/events/",
        calendar_views.shared_events,
        name="calendar_shared_events",
    ),
    path(
        "calendar/shared/<str:share_token>/feed.ics",
        calendar_views.shared_feed,
        name="calendar_shared_feed",
    ),
]
