from django.urls import path

from . import views, work_views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/count/", views.inbox_count, name="inbox_count"),
    path("inbox/views/", views.save_view, name="inbox_save_view"),
    path("inbox/views/<int:view_id>/rename/", views.rename_view, name="inbox_rename_view"),
    path("inbox/views/<int:view_id>/delete/", views.delete_view, name="inbox_delete_view"),
    path("inbox/bulk/", views.bulk, name="inbox_bulk"),
    path("inbox/tags/", views.tags_page, name="inbox_tags"),
    path("inbox/tags/<int:tag_id>/", work_views.tag_edit, name="inbox_tag_edit"),
    path("inbox/tags/<int:tag_id>/delete/", work_views.tag_delete, name="inbox_tag_delete"),
    path("inbox/figures/", work_views.figures_page, name="inbox_figures"),
    path("inbox/routing/", views.routing_rules, name="inbox_routing_rules"),
    path("inbox/routing/sla/", views.sla_target, name="inbox_routing_sla"),
    path("inbox/routing/<int:rule_id>/", views.routing_rule_edit, name="inbox_routing_rule"),
    path(
        "inbox/routing/<int:rule_id>/delete/",
        views.routing_rule_delete,
        name="inbox_routing_rule_delete",
    ),
    path(
        "inbox/routing/<int:rule_id>/move/",
        views.routing_rule_move,
        name="inbox_routing_rule_move",
    ),
    path("inbox/saved-replies/", views.saved_replies, name="inbox_saved_replies"),
    path("inbox/saved-replies/<int:saved_id>/", views.saved_reply_edit, name="inbox_saved_reply"),
    path(
        "inbox/saved-replies/<int:saved_id>/delete/",
        views.saved_reply_delete,
        name="inbox_saved_reply_delete",
    ),
    path("inbox/<int:conversation_id>/tags/", views.conversation_tag, name="inbox_tag"),
    path("inbox/<int:conversation_id>/snooze/", views.snooze, name="inbox_snooze"),
    path("inbox/<int:conversation_id>/", views.conversation, name="inbox_conversation"),
    path("inbox/<int:conversation_id>/reply/", views.reply, name="inbox_reply"),
    path(
        "inbox/<int:conversation_id>/replies/<int:reply_id>/resend/",
        views.reply_resend,
        name="inbox_reply_resend",
    ),
    path(
        "inbox/<int:conversation_id>/replies/<int:reply_id>/approve/",
        views.approve_reply,
        name="inbox_reply_approve",
    ),
    path(
        "inbox/<int:conversation_id>/replies/<int:reply_id>/reject/",
        views.reject_reply,
        name="inbox_reply_reject",
    ),
    path("inbox/<int:conversation_id>/notes/", views.add_note, name="inbox_note"),
    path("inbox/<int:conversation_id>/mentions/", views.mention_suggestions, name="inbox_mentions"),
    path("inbox/<int:conversation_id>/presence/", views.presence, name="inbox_presence"),
    path("inbox/reply-approval/", views.reply_approval_settings, name="inbox_reply_approval"),
    path("inbox/<int:conversation_id>/assign/", views.assign, name="inbox_assign"),
    path("inbox/<int:conversation_id>/status/", views.set_status, name="inbox_status"),
    path("inbox/<int:conversation_id>/triage/", views.triage, name="inbox_triage"),
    path(
        "inbox/<int:conversation_id>/items/<int:item_id>/moderate/",
        views.moderate_item,
        name="inbox_item_moderate",
    ),
]
