from django.urls import path

from . import views

org_urlpatterns = [
    path("governance/offboarding/", views.offboarding_index, name="offboarding_index"),
    path(
        "governance/offboarding/members/<int:member_id>/",
        views.offboarding_preview,
        name="offboarding_preview",
    ),
    path(
        "governance/offboarding/members/<int:member_id>/run/",
        views.offboarding_run,
        name="offboarding_run",
    ),
    path(
        "governance/offboarding/reports/<int:report_id>/",
        views.offboarding_report,
        name="offboarding_report",
    ),
    path(
        "governance/offboarding/reports/<int:report_id>/report.csv",
        views.offboarding_report_csv,
        name="offboarding_report_csv",
    ),
    path(
        "governance/offboarding/reports/<int:report_id>/report.pdf",
        views.offboarding_report_pdf,
        name="offboarding_report_pdf",
    ),
    path(
        "governance/offboarding/reports/<int:report_id>/tasks/<int:task_id>/done/",
        views.offboarding_task_done,
        name="offboarding_task_done",
    ),
]
