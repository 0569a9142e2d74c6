from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("items/", views.items, name="portal-items"),
    path("items/<int:version_id>/", views.item, name="portal-item"),
    path("plans/", views.plans, name="portal-plans"),
    path("tasks/", views.tasks, name="portal-tasks"),
    path("results/", views.results, name="portal-results"),
    path("firms/", views.firms, name="portal-firms"),
    path("firms/<str:key>/", views.firm, name="portal-firm"),
    path("data/", views.data_index, name="portal-data"),
    path("data/<slug:dataset>.json", views.data_json, name="portal-data-json"),
    path("data/<slug:dataset>.csv", views.data_csv, name="portal-data-csv"),
    path("data/<slug:dataset>.schema.json", views.data_schema, name="portal-data-schema"),
]
