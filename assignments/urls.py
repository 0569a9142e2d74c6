from django.urls import path

from assignments import views

urlpatterns = [
    path("tasks/<int:task_id>/", views.task_matching, name="assignment-task"),
    path("runs/<int:run_id>/manifest.json", views.run_file, {"kind": "manifest"}, name="assignment-manifest"),
    path("runs/<int:run_id>/inspectors.csv", views.run_file, {"kind": "inspectors"}, name="assignment-inspectors"),
    path("runs/<int:run_id>/targets.csv", views.run_file, {"kind": "targets"}, name="assignment-targets"),
    path("visits/<int:visit_id>/redraw/", views.visit_redraw, name="assignment-redraw"),
    path("visits/<int:visit_id>/notice/", views.visit_notice, name="assignment-notice"),
    path("redraws/<int:redraw_id>/record.json", views.redraw_record, name="assignment-redraw-record"),
    path("confirmations/", views.confirmations, name="assignment-confirmations"),
    path("confirmations/<int:confirmation_id>/<str:action>/", views.confirmation_act, name="assignment-confirm"),
    path("my-checks/", views.my_checks, name="my-checks"),
]
