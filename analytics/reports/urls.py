from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ with the other analytics pages.
org_urlpatterns = [
    path("analytics/reports/", views.report_list, name="analytics_reports"),
    path("analytics/reports/new/", views.report_new, name="analytics_report_new"),
    path(
        "analytics/reports/<int:schedule_id>/",
        views.report_detail,
        name="analytics_report_detail",
    ),
    path(
        "analytics/reports/<int:schedule_id>/edit/",
        views.report_edit,
        name="analytics_report_edit",
    ),
    path(
        "analytics/reports/<int:schedule_id>/toggle/",
        views.report_toggle,
        name="analytics_report_toggle",
    ),
    path(
        "analytics/reports/<int:schedule_id>/delete/",
        views.report_delete,
        name="analytics_report_delete",
    ),
    path(
        "analytics/reports/<int:schedule_id>/send-now/",
        views.report_send_now,
        name="analytics_report_send_now",
    ),
    path(
        "analytics/reports/<int:schedule_id>/runs/<int:run_id>/report.pdf",
        views.report_run_pdf,
        name="analytics_report_run_pdf",
    ),
    path(
        "analytics/reports/<int:schedule_id>/runs/<int:run_id>/report.csv",
        views.report_run_csv,
        name="analytics_report_run_csv",
    ),
]
