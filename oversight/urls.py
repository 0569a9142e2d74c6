from django.urls import path

from oversight import views

urlpatterns = [
    path("", views.dashboard, name="oversight"),
    path("alerts/", views.alert_list, name="oversight-alerts"),
    path("drill/<str:metric>/", views.drill, name="oversight-drill"),
    path("tables/<str:key>.xlsx", views.table_download, name="oversight-table"),
    path("tasks/<int:task_id>/summary/", views.summary, name="oversight-summary"),
    path("tasks/<int:task_id>/evidence.zip", views.evidence_pack, name="oversight-evidence"),
]
