from django.urls import path

from . import views

org_urlpatterns = [
    path("governance/access/", views.access_matrix, name="access_matrix"),
    path("governance/access/export.csv", views.access_matrix_export, name="access_matrix_export"),
    path("governance/access/reviews/", views.access_reviews, name="access_reviews"),
    path("governance/access/reviews/mine/", views.my_access_reviews, name="my_access_reviews"),
    path(
        "governance/access/reviews/<int:campaign_id>/",
        views.access_review_detail,
        name="access_review_detail",
    ),
    path(
        "governance/access/reviews/<int:campaign_id>/close/",
        views.access_review_close,
        name="access_review_close",
    ),
    path(
        "governance/access/reviews/<int:campaign_id>/evidence.csv",
        views.access_review_export,
        name="access_review_export",
    ),
    path(
        "governance/access/reviews/<int:campaign_id>/mine/",
        views.access_review_mine,
        name="access_review_mine",
    ),
]
