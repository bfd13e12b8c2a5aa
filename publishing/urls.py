from django.urls import path

from . import views, views_calendar, views_media

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("compose/", views.compose, name="compose"),
    path("compose/preview/", views.compose_preview, name="compose_preview"),
    path("compose/count/", views.compose_count, name="compose_count"),
    path("posts/", views.post_list, name="post_list"),
    path("posts/import/", views.post_import, name="post_import"),
    path("posts/bulk/", views.post_bulk, name="post_bulk"),
    path("posts/<int:post_id>/", views.post_detail, name="post_detail"),
    path("posts/<int:post_id>/progress/", views.post_progress, name="post_progress"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    path("posts/<int:post_id>/localize/", views.post_localize, name="post_localize"),
    path("posts/<int:post_id>/variants/<int:variant_id>/retry/", views.variant_retry, name="variant_retry"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    # The editorial calendar (publishing/views_calendar.py)
    path("campaigns/<int:campaign_id>/edit/", views_calendar.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/archive/", views_calendar.campaign_archive, name="campaign_archive"),
    path("calendar/", views_calendar.calendar_page, name="calendar"),
    path("calendar/events/", views_calendar.calendar_events, name="calendar_events"),
    path("calendar/posts/<int:post_id>/move/", views_calendar.calendar_move, name="calendar_move"),
    path("calendar/best-times/", views_calendar.calendar_best_times, name="calendar_best_times"),
    path("calendar/notes/", views_calendar.note_list, name="calendar_notes"),
    path("calendar/notes/<int:note_id>/", views_calendar.note_edit, name="calendar_note_edit"),
    path("calendar/notes/<int:note_id>/delete/", views_calendar.note_delete, name="calendar_note_delete"),
    path("calendar/holidays/", views_calendar.holiday_settings, name="calendar_holidays"),
    path("calendar/cadence/", views_calendar.cadence_list, name="calendar_cadence"),
    path("calendar/cadence/<int:target_id>/delete/", views_calendar.cadence_delete, name="calendar_cadence_delete"),
    path("calendar/share/", views_calendar.share_list, name="calendar_share"),
    path("calendar/share/<int:link_id>/revoke/", views_calendar.share_revoke, name="calendar_share_revoke"),
    # The media library (publishing/views_media.py): files only through these org-scoped views.
    path("media/", views_media.media_list, name="media_list"),
    path("media/<int:asset_id>/", views_media.media_detail, name="media_detail"),
    path("media/<int:asset_id>/focal/", views_media.media_focal, name="media_focal"),
    path("media/<int:asset_id>/delete/", views_media.media_delete, name="media_delete"),
    path("media/<int:asset_id>/thumbnail/", views_media.media_thumbnail, name="media_thumbnail"),
    path("media/<int:asset_id>/original/", views_media.media_original, name="media_original"),
    path("media/<int:asset_id>/renditions/<slug:preset>/", views_media.media_rendition, name="media_rendition"),
]

# Public: a calendar share link is its own credential (signed, expiring, revocable; publishing/views_calendar.py).
public_urlpatterns = [
    path("calendar/shared/<str:share_token>/", views_calendar.shared_calendar, name="calendar_shared"),
    path("calendar/shared/<str:share_token>/events/", views_calendar.shared_events, name="calendar_shared_events"),
    path("calendar/shared/<str:share_token>/feed.ics", views_calendar.shared_feed, name="calendar_shared_feed"),
]
