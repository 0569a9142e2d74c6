from django.urls import path

from plans import views

urlpatterns = [
    path("", views.plan_board, name="plans"),
    path("new/", views.plan_new, name="plan-new"),
    path("<int:plan_id>/", views.plan_detail, name="plan-detail"),
    path("<int:plan_id>/lines/new/", views.line_new, name="plan-line-new"),
    path("<int:plan_id>/approve/", views.plan_approve, name="plan-approve"),
    path("<int:plan_id>/publish/", views.plan_publish, name="plan-publish"),
    path("<int:plan_id>/adjust/", views.plan_adjust, name="plan-adjust"),
    path("<int:plan_id>/export.xlsx", views.plan_export, name="plan-export"),
]
