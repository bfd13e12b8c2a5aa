from django.urls import path

from . import views, views_media

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("compose/", views.compose, name="compose"),
    path("compose/preview/", views.compose_preview, name="compose_preview"),
    path("posts/", views.post_list, name="post_list"),
    path("posts/import/", views.post_import, name="post_import"),
    path("posts/<int:post_id>/", views.post_detail, name="post_detail"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    path("posts/<int:post_id>/localize/", views.post_localize, name="post_localize"),
    path("posts/<int:post_id>/variants/<int:variant_id>/retry/", views.variant_retry, name="variant_retry"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    # The media library (publishing/views_media.py): files only through these org-scoped views.
    path("media/", views_media.media_list, name="media_list"),
    path("media/<int:asset_id>/", views_media.media_detail, name="media_detail"),
    path("media/<int:asset_id>/focal/", views_media.media_focal, name="media_focal"),
    path("media/<int:asset_id>/delete/", views_media.media_delete, name="media_delete"),
    path("media/<int:asset_id>/thumbnail/", views_media.media_thumbnail, name="media_thumbnail"),
    path("media/<int:asset_id>/original/", views_media.media_original, name="media_original"),
    path("media/<int:asset_id>/renditions/<slug:preset>/", views_media.media_rendition, name="media_rendition"),
]
