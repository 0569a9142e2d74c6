from django.urls import path

from inspections import views

urlpatterns = [
    path("", views.index, name="inspections"),
    path("approvals/", views.approvals, name="inspection-approvals"),
    path("publication/", views.publication, name="inspection-publication"),
    path("follow-ups/", views.follow_ups, name="inspection-follow-ups"),
    path("follow-ups/<int:follow_up_id>/close/", views.follow_up_close, name="inspection-follow-up-close"),
    path("tasks/<int:task_id>/", views.task_overview, name="inspection-task"),
    path("tasks/<int:task_id>/visit/<str:key>/", views.record_form, name="inspection-record-form"),
    path("records/<int:record_id>/", views.record_detail, name="inspection-record"),
    path("records/<int:record_id>/signature/", views.record_signature, name="inspection-signature"),
    path("records/<int:record_id>/approve/", views.record_approve, name="inspection-approve"),
    path("records/<int:record_id>/return/", views.record_return, name="inspection-return"),
    path("records/<int:record_id>/publish/", views.record_publish, name="inspection-publish"),
    path("results/<int:result_id>/correct/", views.result_correct, name="inspection-correct"),
    path("firms/<str:key>/", views.firm_record, name="inspection-firm"),
]
