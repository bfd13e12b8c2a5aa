from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("approvals/", views.waiting_for_me, name="approvals_waiting"),
    path("approvals/count/", views.waiting_count, name="approvals_waiting_count"),
    path(
        "approvals/requests/<int:request_id>/", views.request_detail, name="approval_request_detail"
    ),
    path(
        "approvals/requests/<int:request_id>/decide/",
        views.request_decide,
        name="approval_request_decide",
    ),
    path(
        "approvals/requests/<int:request_id>/withdraw/",
        views.request_withdraw,
        name="approval_request_withdraw",
    ),
    path("approvals/posts/<int:post_id>/submit/", views.submit, name="approval_submit"),
    path("approvals/posts/<int:post_id>/comments/", views.comment_add, name="approval_comment_add"),
    path(
        "approvals/posts/<int:post_id>/mentions/",
        views.mention_suggestions,
        name="approval_mention_suggestions",
    ),
    path("approvals/workflows/", views.workflow_list, name="workflow_list"),
    path("approvals/workflows/new/", views.workflow_create, name="workflow_create"),
    path("approvals/workflows/<int:workflow_id>/", views.workflow_edit, name="workflow_edit"),
    path(
        "approvals/workflows/<int:workflow_id>/delete/",
        views.workflow_delete,
        name="workflow_delete",
    ),
    path("approvals/policy/", views.policy, name="approval_policy"),
    path("approvals/away/", views.out_of_office, name="out_of_office"),
    path("approvals/away/<int:ooo_id>/end/", views.out_of_office_end, name="out_of_office_end"),
]

# Public by design: a signed, single-use, expiring link bound to one approver and one post version.
urlpatterns = [
    path("a/<str:link_token>/", views.approval_link, name="approval_link"),
    path(
        "a/<str:link_token>/mentions/",
        views.approval_link_mentions,
        name="approval_link_mentions",
    ),
]
